import type { Clock } from '../clock';
import {
  API_KEY_SECRET_PREFIX,
  MAX_API_KEYS,
  type ApiKey,
  type CreateApiKeyBody,
  type CreatedApiKey,
} from '../contracts/api-keys';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { hashToken, newToken, sameSecret } from '../auth/tokens';
import { apiKeyStore, type ApiKeyRow } from './store';

/** `gm-` and 12 characters of the secret: shown in lists, and the index a lookup starts from. */
const PREFIX_LENGTH = API_KEY_SECRET_PREFIX.length + 12;

/** The key a request to `/api/v1` authenticated with, and what the chat core needs of it. */
export interface KeyPrincipal {
  userId: string;
  keyId: string;
  spendLimitCredits: number | null;
}

export const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  spendLimitCredits: r.spend_limit_credits === null ? null : Number(r.spend_limit_credits),
  spentCredits: Number(r.spent_credits),
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

const invalidKey = () =>
  new AppError(
    'unauthenticated',
    'Incorrect API key provided. Create a key in GloriaMundo under Settings → API keys and send it as "Authorization: Bearer gm-…".',
  );

export type ApiKeyService = ReturnType<typeof apiKeyService>;

export function apiKeyService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    list: async (userId: string) => (await apiKeyStore(db).list(userId)).map(toApiKey),

    /** The secret exists only in this answer: we keep its hash. */
    async create(userId: string, body: CreateApiKeyBody): Promise<CreatedApiKey> {
      const secret = `${API_KEY_SECRET_PREFIX}${newToken()}`;
      const row = await apiKeyStore(db).insertBelow(MAX_API_KEYS, {
        id: newId(),
        userId,
        name: body.name,
        prefix: secret.slice(0, PREFIX_LENGTH),
        secretHash: hashToken(secret),
        spendLimit: body.spendLimitCredits ?? null,
        at: clock.now(),
      });
      if (!row) {
        throw new AppError(
          'conflict',
          `You have ${MAX_API_KEYS} API keys, the most one account may keep. Revoke one you no longer use first.`,
        );
      }
      return { key: toApiKey(row), secret };
    },

    /** The key stops authenticating at once, and its running streams stop at their next poll. */
    async revoke(userId: string, id: string): Promise<void> {
      await db.tx(async (tx) => {
        if (!(await apiKeyStore(tx).revoke(userId, id, clock.now()))) throw notFound('API key');
        await apiKeyStore(tx).stopStreams(id);
      });
    },

    /**
     * The lookup by prefix uses the index; the hash comparison is constant-time, so response
     * times tell an attacker nothing about how much of a guessed secret was right.
     */
    async authenticate(authorization: string | null): Promise<KeyPrincipal> {
      const secret = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
      if (!secret?.startsWith(API_KEY_SECRET_PREFIX) || secret.length > 200) throw invalidKey();
      const row = await apiKeyStore(db).byPrefix(secret.slice(0, PREFIX_LENGTH));
      if (!row || !sameSecret(row.secret_hash, hashToken(secret))) throw invalidKey();
      const now = clock.now();
      // The row just read says whether the minute is up; most calls need no statement for it.
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= 60_000) {
        await apiKeyStore(db).touch(row.id, now);
      }
      return {
        userId: row.user_id,
        keyId: row.id,
        spendLimitCredits: row.spend_limit_credits === null ? null : Number(row.spend_limit_credits),
      };
    },
  };
}
