import { z } from 'zod';

/** A share as its owner sees it: the link, and what it was made from. */
export const share = z.object({
  id: z.string(),
  /** The public page: `{PUBLIC_BASE_URL}/s/{id}`. */
  url: z.string(),
  title: z.string().nullable(),
  /** The conversation it is a snapshot of (null once that conversation is deleted: never, it goes too). */
  conversationId: z.string().nullable(),
  messageCount: z.number().int(),
  createdAt: z.string(),
});
export type Share = z.infer<typeof share>;

export const shareResponse = z.object({ share });
export const sharesResponse = z.object({ shares: z.array(share) });
export type SharesResponse = z.infer<typeof sharesResponse>;

/** One message of a snapshot: nothing but what was said, by whom, and which model said it. */
export const sharedMessage = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  model: z.string().nullable(),
  createdAt: z.string(),
});
export type SharedMessage = z.infer<typeof sharedMessage>;

/** `GET /api/public/shares/{id}`: nothing about the owner. */
export const publicShare = z.object({
  id: z.string(),
  title: z.string().nullable(),
  createdAt: z.string(),
  messages: z.array(sharedMessage),
});
export type PublicShare = z.infer<typeof publicShare>;
export const publicShareResponse = z.object({ share: publicShare });
export type PublicShareResponse = z.infer<typeof publicShareResponse>;
