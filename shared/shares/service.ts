import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Conversation } from '../contracts/conversations';
import type { PublicShare, Share } from '../contracts/shares';
import { toConversation } from '../conversations/service';
import { conversationStore } from '../conversations/store';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { throttleStore, type ThrottleRule } from '../auth/store';
import { shareStore, type ShareSummaryRow } from './store';

/** Shared chats one client may open per minute: a reader never gets near it, a scraper does. */
export const SHARE_VIEWS_PER_MINUTE = 120;
const VIEW_RULE: ThrottleRule = {
  windowMs: 60_000,
  threshold: SHARE_VIEWS_PER_MINUTE,
  delayMs: 60_000,
  maxDelayMs: 60_000,
};

/** 128 random bits: the link is the only key to a share, so it must not be guessable or ordered. */
const newShareId = () => randomBytes(16).toString('base64url');
/** What a share id looks like; anything else is answered 404 without a query. */
const SHARE_ID = /^[A-Za-z0-9_-]{22}$/;

export type ShareService = ReturnType<typeof shareService>;

/** Built from the core's parts (`shareService(core)`): the links point at PUBLIC_BASE_URL. */
export function shareService(deps: { db: Db; clock: Clock; config: { PUBLIC_BASE_URL: string } }) {
  const { db, clock } = deps;
  const base = deps.config.PUBLIC_BASE_URL.replace(/\/$/, '');
  const toShare = (r: ShareSummaryRow): Share => ({
    id: r.id,
    url: `${base}/s/${r.id}`,
    title: r.title,
    conversationId: r.conversation_id,
    messageCount: Number(r.message_count),
    createdAt: r.created_at.toISOString(),
  });
  const gone = () => notFound('This shared chat');

  return {
    /** A snapshot of the conversation's active branch as it is now. */
    async create(userId: string, conversationId: string): Promise<Share> {
      const row = await shareStore(db).insertSnapshot({
        id: newShareId(),
        userId,
        conversationId,
        at: clock.now(),
      });
      if (!row) throw notFound('Conversation');
      if (Number(row.message_count) === 0) {
        await shareStore(db).delete(userId, row.id);
        throw new AppError(
          'invalid_request',
          'This conversation has no messages yet: there is nothing to share.',
        );
      }
      return toShare(row);
    },

    async list(userId: string): Promise<Share[]> {
      return (await shareStore(db).list(userId)).map(toShare);
    },

    /** The link stops working at once: the snapshot is deleted. */
    async revoke(userId: string, id: string): Promise<void> {
      if (!SHARE_ID.test(id) || (await shareStore(db).delete(userId, id)) === 0) throw notFound('Share');
    },

    /** What anyone with the link sees: the snapshot, nothing about its owner. */
    /**
     * The public page's data. Counted per client before the lookup, found or not: ids are
     * unguessable, and the limit keeps anyone from trying many of them (or scraping) quickly.
     */
    async view(id: string, clientKey: string): Promise<PublicShare> {
      if (!(await throttleStore(db).take(`share-view:client:${clientKey}`, VIEW_RULE, clock.now()))) {
        const until = await throttleStore(db).lockedUntil(`share-view:client:${clientKey}`);
        const retryAfterSeconds = Math.max(
          1,
          Math.ceil(((until?.getTime() ?? 0) - clock.now().getTime()) / 1000),
        );
        throw new AppError(
          'rate_limited',
          `Too many shared chats opened from your network. Try again in ${retryAfterSeconds} s.`,
          { retryAfterSeconds },
        );
      }
      const row = SHARE_ID.test(id) ? await shareStore(db).get(id) : null;
      if (!row) throw gone();
      return {
        id: row.id,
        title: row.title,
        createdAt: row.created_at.toISOString(),
        messages: row.messages.map((m) => ({
          role: m.role,
          content: m.content,
          model: m.model,
          createdAt: m.createdAt,
        })),
      };
    },

    /** "Continue this chat": a copy of the snapshot in the viewer's own account, on request only. */
    async continueIn(userId: string, id: string): Promise<Conversation> {
      const row = SHARE_ID.test(id) ? await shareStore(db).get(id) : null;
      if (!row) throw gone();
      const conversationId = newId();
      const lastModel = row.messages.findLast((m) => m.role === 'assistant' && m.model)?.model ?? null;
      return db.tx(async (tx) => {
        await shareStore(tx).copyToConversation({
          userId,
          conversationId,
          title: row.title,
          model: lastModel,
          messages: row.messages.map((m) => ({
            id: newId(),
            role: m.role,
            content: m.content,
            model: m.model,
          })),
          at: clock.now(),
        });
        const created = await conversationStore(tx).get(userId, conversationId);
        if (!created) throw new AppError('internal', 'The copied conversation could not be read back.');
        return toConversation(created);
      });
    },
  };
}
