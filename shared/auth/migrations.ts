import type { Migration } from '../db/migration';

/** Sign-in with Google and Microsoft, and accounts that can be deleted. */
export const authMigrations: Migration[] = [
  {
    id: '010_identities_oauth_flows',
    sql: `
      -- An account's sign-ins besides the password: one row per provider account, keyed as the
      -- provider names it (Google: sub; Microsoft: tid:oid), never by email.
      CREATE TABLE identities (
        provider text NOT NULL CHECK (provider IN ('google', 'microsoft')),
        subject text NOT NULL,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        email text,
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        PRIMARY KEY (provider, subject)
      );
      CREATE INDEX identities_user ON identities (user_id);

      -- A sign-in in progress, bound to one browser by a cookie whose hash is the key; used once.
      CREATE TABLE oauth_flows (
        binding_hash text PRIMARY KEY,
        provider text NOT NULL,
        state text NOT NULL,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        return_to text NOT NULL,
        link_user_id text REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);

      -- A deleted account keeps its row (the ledger and purchases point at it) without the person.
      ALTER TABLE users ADD COLUMN deleted_at timestamptz;
    `,
  },
];
