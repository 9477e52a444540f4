import type { Db } from '../db/db';

export interface FeedbackRow {
  message_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  updated_at: Date;
}

/** Every query carries the owner: another user's message matches nothing. */
export const feedbackStore = (db: Db) => ({
  /** The message as far as rating it goes: whose, which role, whether it is still being written. */
  message: (userId: string, messageId: string) =>
    db.maybeOne<{ role: 'user' | 'assistant'; status: string }>(
      `SELECT role, status FROM messages WHERE id = $1 AND user_id = $2`,
      [messageId, userId],
    ),

  /** Sets the rating of one of the user's replies (the message is checked in the same statement). */
  upsert: (f: {
    userId: string;
    messageId: string;
    rating: 'up' | 'down';
    comment: string | null;
    at: Date;
  }) =>
    db.maybeOne<FeedbackRow>(
      `INSERT INTO message_feedback (message_id, user_id, rating, comment, created_at, updated_at)
       SELECT m.id, m.user_id, $3, $4, $5, $5 FROM messages m
        WHERE m.id = $1 AND m.user_id = $2 AND m.role = 'assistant'
       ON CONFLICT (message_id) DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment,
              updated_at = EXCLUDED.updated_at
       RETURNING message_id, rating, comment, updated_at`,
      [f.messageId, f.userId, f.rating, f.comment, f.at],
    ),

  delete: (userId: string, messageId: string) =>
    db.exec(`DELETE FROM message_feedback WHERE message_id = $1 AND user_id = $2`, [messageId, userId]),

  /** Ratings given since `since`, counted by the model that wrote the reply. */
  countsByModel: (userId: string, since: Date) =>
    db.many<{ model: string; up: number; down: number }>(
      `SELECT COALESCE(m.model, 'unknown') AS model,
              count(*) FILTER (WHERE f.rating = 'up')::int AS up,
              count(*) FILTER (WHERE f.rating = 'down')::int AS down
         FROM message_feedback f JOIN messages m ON m.id = f.message_id
        WHERE f.user_id = $1 AND f.updated_at >= $2
        GROUP BY 1 ORDER BY count(*) DESC, 1`,
      [userId, since],
    ),
});
