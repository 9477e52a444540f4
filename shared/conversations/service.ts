import type { Clock } from '../clock';
import type {
  Conversation,
  CreateConversationBody,
  ListConversationsQuery,
  ListConversationsResponse,
  Message,
  MessageError,
  UpdateConversationBody,
  Usage,
} from '../contracts/conversations';
import { citation } from '../contracts/conversations';
import { errorCode } from '../contracts/errors';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { presetService } from '../presets/service';
import { exportFilename, toJson, toMarkdown, type ConversationExport } from './export';
import { conversationStore, type ConversationRow, type MessageFeedback, type MessageRow } from './store';

export const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  title: r.title,
  model: r.model,
  systemPrompt: r.system_prompt,
  temperature: r.temperature,
  maxTokens: r.max_tokens,
  pinned: r.pinned,
  incognito: r.incognito,
  activeMessageId: r.active_message_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

function toError(r: MessageRow): MessageError | null {
  if (!r.error_code) return null;
  const code = errorCode.safeParse(r.error_code);
  // Rows from before the one error union carried other codes; they read as an upstream failure.
  return { code: code.success ? code.data : 'upstream_failed', message: r.error_message ?? '' };
}

export function toMessage(
  r: MessageRow & { sibling_ids?: string[]; feedback?: MessageFeedback | null; memory_updated?: boolean },
): Message {
  const usage: Usage | null =
    r.prompt_tokens === null || r.completion_tokens === null
      ? null
      : {
          promptTokens: r.prompt_tokens,
          completionTokens: r.completion_tokens,
          credits: Number(r.credits ?? 0),
        };
  return {
    id: r.id,
    parentId: r.parent_id,
    siblingIds: r.sibling_ids ?? [r.id],
    role: r.role,
    content: r.content,
    reasoning: r.reasoning,
    model: r.model,
    status: r.status,
    error: toError(r),
    imageIds: r.image_ids,
    citations: r.citations.flatMap((c) => {
      const parsed = citation.safeParse(c);
      return parsed.success ? [parsed.data] : [];
    }),
    usage,
    feedback: r.feedback ?? null,
    maxTokens: r.max_tokens,
    finishReason: r.finish_reason,
    memoryUpdated: r.memory_updated ?? false,
    createdAt: r.created_at.toISOString(),
  };
}

/** Cursors cover the dates PostgreSQL and JavaScript both hold; anything else is not one of ours. */
const MIN_CURSOR_MS = Date.UTC(2000, 0, 1);
const MAX_CURSOR_MS = Date.UTC(9999, 11, 31);

function encodeCursor(r: ConversationRow): string {
  return Buffer.from(JSON.stringify([r.updated_at.toISOString(), r.id, r.pinned])).toString('base64url');
}

/** Pinned ones are listed first; a cursor from before that (two fields) was in the unpinned part. */
function decodeCursor(cursor: string): { pinned: boolean; at: Date; id: string } {
  try {
    const [at, id, pinned = false] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    const date = new Date(String(at));
    const ms = date.getTime();
    if (
      typeof id === 'string' &&
      id.length <= 64 &&
      typeof at === 'string' &&
      typeof pinned === 'boolean' &&
      ms >= MIN_CURSOR_MS &&
      ms <= MAX_CURSOR_MS
    )
      return { pinned, at: date, id };
  } catch {
    // falls through to the error below
  }
  throw new AppError('invalid_request', 'The cursor is not one this API returned. Start again without it.');
}

const withoutUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export type ConversationService = ReturnType<typeof conversationService>;

export function conversationService(deps: {
  db: Db;
  clock: Clock;
  /**
   * Removes, in the deletion's transaction, the images only this conversation carries; what it
   * returns runs after the commit (their blobs).
   */
  releaseImages?: (tx: Db, userId: string, conversationId: string) => Promise<() => Promise<void>>;
}) {
  const { db, clock } = deps;
  const store = () => conversationStore(db);

  return {
    async create(userId: string, input: CreateConversationBody): Promise<Conversation> {
      // A preset's settings are copied in (later edits of the preset do not reach the chat); a
      // field given in the body wins over the preset's.
      const { presetId, ...given } = input;
      const preset = presetId ? await presetService(deps).forConversation(userId, presetId) : null;
      const settings = { ...withoutUndefined(preset ?? {}), ...withoutUndefined(given) };
      const row = await store().insert({
        id: newId(),
        userId,
        title: input.title ?? null,
        model: settings.model ?? null,
        systemPrompt: settings.systemPrompt ?? null,
        temperature: settings.temperature ?? null,
        maxTokens: settings.maxTokens ?? null,
        incognito: input.incognito ?? false,
        at: clock.now(),
      });
      return toConversation(row);
    },

    async list(userId: string, query: ListConversationsQuery): Promise<ListConversationsResponse> {
      const rows = await store().list(userId, {
        limit: query.limit + 1,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
        q: query.q || undefined,
        pinned: query.pinned === undefined ? undefined : query.pinned === 'true',
      });
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        conversations: page.map(toConversation),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
      };
    },

    /** The conversation and its active branch, oldest first. */
    async get(userId: string, id: string): Promise<{ conversation: Conversation; messages: Message[] }> {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Conversation');
      const messages = await store().activeBranch(userId, id);
      return { conversation: toConversation(row), messages: messages.map(toMessage) };
    },

    /** The active branch as a download (Markdown or JSON). */
    async export(userId: string, id: string, format: 'md' | 'json'): Promise<ConversationExport> {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Conversation');
      const conversation = toConversation(row);
      const messages = (await store().activeBranch(userId, id)).map(toMessage);
      const at = clock.now();
      return format === 'json'
        ? {
            filename: exportFilename(conversation.title, 'json'),
            contentType: 'application/json; charset=utf-8',
            body: toJson(conversation, messages, at),
          }
        : {
            filename: exportFilename(conversation.title, 'md'),
            contentType: 'text/markdown; charset=utf-8',
            body: toMarkdown(conversation, messages, at),
          };
    },

    async update(userId: string, id: string, input: UpdateConversationBody): Promise<Conversation> {
      return db.tx(async (tx) => {
        const { activeMessageId, ...fields } = input;
        let row = Object.keys(fields).length
          ? await conversationStore(tx).update(userId, id, fields)
          : await conversationStore(tx).get(userId, id);
        if (!row) throw notFound('Conversation');
        if (activeMessageId !== undefined) {
          row = await conversationStore(tx).activateBranch(userId, id, activeMessageId);
          if (!row) throw new AppError('not_found', 'That message is not in this conversation.');
        }
        return toConversation(row);
      });
    },

    async delete(userId: string, id: string): Promise<void> {
      const afterCommit = await db.tx(async (tx) => {
        const release = await deps.releaseImages?.(tx, userId, id);
        if ((await conversationStore(tx).delete(userId, id)) === 0) throw notFound('Conversation');
        return release;
      });
      await afterCommit?.();
    },
  };
}
