import type { Migration } from '../db/migration';

export const presetMigrations: Migration[] = [
  {
    id: '060_presets',
    sql: `
      -- Named conversation settings; a new chat from a preset copies them (later edits do not reach it).
      CREATE TABLE presets (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        model text NOT NULL,
        system_prompt text,
        temperature double precision,
        max_tokens integer,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX presets_user ON presets (user_id, created_at, id);
      -- Accounts that have been given the starter presets: once, so a deleted one stays deleted.
      CREATE TABLE preset_starters_given (
        user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        given_at timestamptz NOT NULL
      );
    `,
  },
];
