import { z } from 'zod';

export const MAX_FEEDBACK_COMMENT_CHARS = 2_000;

export const feedbackRating = z.enum(['up', 'down']);
export type FeedbackRating = z.infer<typeof feedbackRating>;

/** `PUT /api/messages/{id}/feedback`: one rating per reply, replaced by the next. */
export const feedbackBody = z
  .object({
    rating: feedbackRating,
    comment: z
      .string()
      .trim()
      .max(
        MAX_FEEDBACK_COMMENT_CHARS,
        `Keep the comment to ${MAX_FEEDBACK_COMMENT_CHARS} characters or fewer.`,
      )
      .nullable()
      .optional(),
  })
  .strict();
export type FeedbackBody = z.infer<typeof feedbackBody>;

export const feedback = z.object({
  messageId: z.string(),
  rating: feedbackRating,
  comment: z.string().nullable(),
  updatedAt: z.string(),
});
export type Feedback = z.infer<typeof feedback>;
export const feedbackResponse = z.object({ feedback });

export const feedbackSummaryQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
});
/** `GET /api/feedback?days=`: the user's ratings counted by the model that wrote the reply. */
export const feedbackSummaryResponse = z.object({
  byModel: z.array(z.object({ model: z.string(), up: z.number().int(), down: z.number().int() })),
});
export type FeedbackSummaryResponse = z.infer<typeof feedbackSummaryResponse>;
