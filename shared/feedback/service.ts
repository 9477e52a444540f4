import type { Clock } from '../clock';
import type { Feedback, FeedbackBody, FeedbackSummaryResponse } from '../contracts/feedback';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { feedbackStore } from './store';

export type FeedbackService = ReturnType<typeof feedbackService>;

export function feedbackService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const store = () => feedbackStore(db);

  return {
    /** Rates one of the user's replies; a second rating replaces the first. */
    async set(userId: string, messageId: string, body: FeedbackBody): Promise<Feedback> {
      const message = await store().message(userId, messageId);
      if (!message) throw notFound('Message');
      if (message.role !== 'assistant') {
        throw new AppError('invalid_request', 'Only replies can be rated; this message is one of yours.');
      }
      if (message.status === 'streaming') {
        throw new AppError('conflict', 'This reply is still being written. Rate it once it has finished.');
      }
      const row = await store().upsert({
        userId,
        messageId,
        rating: body.rating,
        comment: body.comment ? body.comment : null,
        at: clock.now(),
      });
      // Deleted between the two statements.
      if (!row) throw notFound('Message');
      return {
        messageId: row.message_id,
        rating: row.rating,
        comment: row.comment,
        updatedAt: row.updated_at.toISOString(),
      };
    },

    async clear(userId: string, messageId: string): Promise<void> {
      if (await store().delete(userId, messageId)) return;
      if (!(await store().message(userId, messageId))) throw notFound('Message');
      // Never rated: the rating is gone all the same.
    },

    async summary(userId: string, days: number): Promise<FeedbackSummaryResponse> {
      const since = new Date(clock.now().getTime() - days * 86_400_000);
      const rows = await store().countsByModel(userId, since);
      return { byModel: rows.map((r) => ({ model: r.model, up: Number(r.up), down: Number(r.down) })) };
    },
  };
}
