import type { Migration } from '../db/migration';

export const documentMigrations: Migration[] = [
  {
    id: '045_documents',
    sql: `
      CREATE TABLE documents (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        content_type text NOT NULL,
        size bigint NOT NULL,
        source text NOT NULL CHECK (source IN ('upload', 'inbox')),
        status text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
        error text,
        pages integer,
        chunk_count integer NOT NULL DEFAULT 0,
        progress real NOT NULL DEFAULT 0,
        -- Where the original bytes are: documents/{userId}/{documentId}/{name} or inbox/{userId}/...
        blob_container text NOT NULL,
        blob_name text NOT NULL,
        -- The blob version being ingested (a new ETag re-ingests; the same one is a redelivery).
        blob_etag text,
        instance_id text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (blob_container, blob_name)
      );
      CREATE INDEX documents_user_recent ON documents (user_id, created_at DESC, id DESC);

      -- The text of a document between extraction and storage: activities pass ids, not text.
      CREATE TABLE document_staging (
        document_id text NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx integer NOT NULL,
        page integer,
        text text NOT NULL,
        tokens integer NOT NULL,
        embedding jsonb,
        PRIMARY KEY (document_id, idx)
      );
    `,
  },
];
