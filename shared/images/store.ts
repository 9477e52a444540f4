import type { Db } from '../db/db';

export interface ImageRow {
  id: string;
  user_id: string;
  content_type: string;
  size: number;
  width: number;
  height: number;
  blob_container: string;
  blob_name: string;
  created_at: Date;
}

export type ImageBlob = Pick<ImageRow, 'blob_container' | 'blob_name'>;

/** Image rows; every query carries the owner. */
export const imageStore = (db: Db) => ({
  insert: (i: {
    id: string;
    userId: string;
    contentType: string;
    size: number;
    width: number;
    height: number;
    container: string;
    blobName: string;
    at: Date;
  }) =>
    db.one<ImageRow>(
      `INSERT INTO images (id, user_id, content_type, size, width, height, blob_container, blob_name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [i.id, i.userId, i.contentType, i.size, i.width, i.height, i.container, i.blobName, i.at],
    ),

  get: (userId: string, id: string) =>
    db.maybeOne<ImageRow>(`SELECT * FROM images WHERE id = $1 AND user_id = $2`, [id, userId]),

  /** The user's images among `ids` (others' and unknown ids are simply absent). */
  some: (userId: string, ids: string[]) =>
    db.many<ImageRow>(`SELECT * FROM images WHERE user_id = $1 AND id = ANY($2::text[])`, [userId, ids]),

  /**
   * Removes the images that the messages of this conversation carry and no other conversation's
   * messages do; returns their blobs. Runs before the conversation (and its messages) go.
   */
  deleteForConversation: (userId: string, conversationId: string) =>
    db.many<ImageBlob>(
      `WITH used AS (
         SELECT DISTINCT unnest(image_ids) AS id FROM messages
          WHERE conversation_id = $2 AND user_id = $1 AND image_ids <> '{}'
       )
       DELETE FROM images i USING used
        WHERE i.id = used.id AND i.user_id = $1
          AND NOT EXISTS (SELECT 1 FROM messages m
                           WHERE m.user_id = $1 AND m.conversation_id <> $2 AND m.image_ids @> ARRAY[i.id])
       RETURNING i.blob_container, i.blob_name`,
      [userId, conversationId],
    ),

  /** Every image of the user (account deletion). */
  deleteAll: (userId: string) =>
    db.many<ImageBlob>(`DELETE FROM images WHERE user_id = $1 RETURNING blob_container, blob_name`, [userId]),

  delete: (userId: string, id: string) =>
    db.exec(`DELETE FROM images WHERE id = $1 AND user_id = $2`, [id, userId]),
});
