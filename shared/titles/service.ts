import { countMessageTokens } from '../chat/tokens';
import { conversationStore } from '../conversations/store';
import type { Db } from '../db/db';
import type { Metering } from '../billing/metering';
import type { ChatUpstream } from '../llm/upstream';
import type { ModelService } from '../models/service';

const MAX_TITLE_CHARS = 80;

/** Model answers arrive quoted, prefixed or with a trailing period; a sidebar wants none of that. */
export function cleanTitle(raw: string): string {
  const firstLine =
    raw
      .replace(/<think>[\s\S]*?<\/think>/g, '')
      .trim()
      .split('\n')[0] ?? '';
  const unquote = (s: string) => s.replace(/^["'“”‘’*#\s]+|["'“”‘’*\s]+$/g, '');
  const cleaned = unquote(unquote(firstLine).replace(/^(conversation )?title\s*:\s*/i, ''))
    .replace(/[.。]+$/, '')
    .trim();
  return cleaned.length > MAX_TITLE_CHARS ? `${cleaned.slice(0, MAX_TITLE_CHARS - 1).trimEnd()}…` : cleaned;
}

export const fallbackTitle = (text: string) => cleanTitle(text.trim().split(/\s+/).slice(0, 6).join(' '));

export type TitleService = ReturnType<typeof titleService>;

const TITLE_TOKENS = 24;

export function titleService(deps: {
  db: Db;
  upstream: ChatUpstream;
  models: ModelService;
  metering: Metering;
  model: string;
}) {
  return {
    /**
     * Names an untitled conversation from its first exchange. A failure throws so the queue
     * retries; a conversation that is gone or already named is simply done.
     */
    async generate(userId: string, conversationId: string): Promise<string | null> {
      const store = conversationStore(deps.db);
      const conversation = await store.get(userId, conversationId);
      if (!conversation || conversation.title !== null) return null;
      const { question, answer } = await store.firstExchange(userId, conversationId);
      if (!question) return null;
      // A title model we cannot price is not called: the first words make a fine title too.
      const model = await deps.models.require(deps.model).catch(() => null);
      if (!model) {
        const row = await store.setTitleIfUntitled(userId, conversationId, fallbackTitle(question));
        return row ? row.title : null;
      }
      const messages = [
        {
          role: 'system' as const,
          content:
            'Write a title of at most six words for the conversation below. ' +
            'Answer with the title only: no quotes, no trailing period.',
        },
        {
          role: 'user' as const,
          content: `User: ${question.slice(0, 2000)}\n\nAssistant: ${answer.slice(0, 1000)}`,
        },
      ];
      const promptTokens = messages.reduce((n, m) => n + countMessageTokens(m.content), 0);
      // A user who cannot pay for the title call gets the first words: we never work unbilled.
      if (!(await deps.metering.affords(deps.db, { userId, model, promptTokens, maxTokens: TITLE_TOKENS }))) {
        const row = await store.setTitleIfUntitled(userId, conversationId, fallbackTitle(question));
        return row ? row.title : null;
      }
      const reply = await deps.upstream.complete({ model: deps.model, maxTokens: TITLE_TOKENS, messages });
      const title = cleanTitle(reply.text) || fallbackTitle(question);
      // Billed like any reply, once per conversation, whether or not the user renamed it
      // meanwhile: in the statement that names it.
      const bill = reply.usage
        ? deps.metering.chargeOf({
            userId,
            reference: `title:${conversationId}`,
            purpose: 'title',
            model,
            usage: reply.usage,
          })
        : null;
      const row = await store.setTitleIfUntitled(userId, conversationId, title, bill);
      return row ? title : null;
    },
  };
}
