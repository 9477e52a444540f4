import type { Migration } from '../db/migration';

export const imageMigrations: Migration[] = [
  {
    id: '075_images',
    sql: `
      -- Images uploaded for messages; messages.image_ids refer to them (an array, so no foreign key:
      -- a conversation's deletion removes the images only it refers to, in its transaction).
      CREATE TABLE images (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        content_type text NOT NULL,
        size bigint NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        -- images/{userId}/{imageId}
        blob_container text NOT NULL,
        blob_name text NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX images_user ON images (user_id, created_at);
      -- Finding the images a conversation's messages carry, and whether another conversation does too.
      CREATE INDEX messages_image_ids ON messages USING gin (image_ids);
    `,
  },
];
