import type { Clock } from '../clock';
import type {
  Conversation,
  CreateConversationBody,
  ListConversationsQuery,
  ListConversationsResponse,
  Message,
  Usage,
} from '../contracts/conversations';
import { citation } from '../contracts/conversations';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import { conversationStore, type ConversationRow, type MessageRow } from './store';

export const toConversation = (r: ConversationRow): Conversation => ({
  id: r.id,
  title: r.title,
  model: r.model,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export function toMessage(r: MessageRow): Message {
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
    role: r.role,
    content: r.content,
    reasoning: r.reasoning,
    model: r.model,
    status: r.status,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    imageIds: r.image_ids,
    citations: r.citations.flatMap((c) => {
      const parsed = citation.safeParse(c);
      return parsed.success ? [parsed.data] : [];
    }),
    usage,
    createdAt: r.created_at.toISOString(),
  };
}

function encodeCursor(r: ConversationRow): string {
  return Buffer.from(JSON.stringify([r.updated_at.toISOString(), r.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(at));
    if (typeof id === 'string' && typeof at === 'string' && !Number.isNaN(date.getTime()))
      return { at: date, id };
  } catch {
    // falls through to the error below
  }
  throw new AppError('invalid_request', 'cursor is not one this API returned');
}

export type ConversationService = ReturnType<typeof conversationService>;

export function conversationService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const store = () => conversationStore(db);

  return {
    async create(userId: string, input: CreateConversationBody): Promise<Conversation> {
      const row = await store().insert({
        id: newId(),
        userId,
        title: input.title ?? null,
        model: input.model ?? null,
        at: clock.now(),
      });
      return toConversation(row);
    },

    async list(userId: string, query: ListConversationsQuery): Promise<ListConversationsResponse> {
      const rows = await store().list(userId, {
        limit: query.limit + 1,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
        q: query.q || undefined,
      });
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        conversations: page.map(toConversation),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
      };
    },

    async get(userId: string, id: string): Promise<{ conversation: Conversation; messages: Message[] }> {
      const row = await store().get(userId, id);
      if (!row) throw notFound('Conversation');
      const messages = await store().messages(userId, id);
      return { conversation: toConversation(row), messages: messages.map(toMessage) };
    },

    async rename(userId: string, id: string, title: string): Promise<Conversation> {
      const row = await store().rename(userId, id, title, clock.now());
      if (!row) throw notFound('Conversation');
      return toConversation(row);
    },

    async delete(userId: string, id: string): Promise<void> {
      if ((await store().delete(userId, id)) === 0) throw notFound('Conversation');
    },
  };
}
