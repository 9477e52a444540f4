import { z } from 'zod';
import { id } from './common';
import { errorCode } from './errors';

export const MAX_MESSAGE_CHARS = 100_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_SYSTEM_PROMPT_CHARS = 8_000;
export const MAX_REPLY_TOKENS = 200_000;

export const conversation = z.object({
  id: z.string(),
  title: z.string().nullable(),
  model: z.string().nullable(),
  /** Replaces the service's default system prompt for this conversation; null = the default. */
  systemPrompt: z.string().nullable(),
  temperature: z.number().nullable(),
  /** The reply length asked for by default in this conversation; null = the service's default. */
  maxTokens: z.number().int().nullable(),
  pinned: z.boolean(),
  /** Neither reads nor writes memories. */
  incognito: z.boolean(),
  /** The newest message of the branch being shown and continued; null while empty. */
  activeMessageId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Conversation = z.infer<typeof conversation>;

export const messageStatus = z.enum(['complete', 'streaming', 'stopped', 'failed']);
export type MessageStatus = z.infer<typeof messageStatus>;

export const usage = z.object({
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  credits: z.number().int(),
});
export type Usage = z.infer<typeof usage>;

export const citation = z.object({
  n: z.number().int(),
  documentId: z.string(),
  documentName: z.string(),
  page: z.number().int().nullable(),
  snippet: z.string(),
});
export type Citation = z.infer<typeof citation>;

export const messageError = z.object({ code: errorCode, message: z.string() });
export type MessageError = z.infer<typeof messageError>;

export const message = z.object({
  id: z.string(),
  /** The message this one follows; null for the first message of a branch from the start. */
  parentId: z.string().nullable(),
  /** Every message with the same parent, this one included, oldest first ("< 2/3 >"). */
  siblingIds: z.array(z.string()),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  reasoning: z.string().nullable(),
  model: z.string().nullable(),
  status: messageStatus,
  error: messageError.nullable(),
  imageIds: z.array(z.string()),
  citations: z.array(citation),
  usage: usage.nullable(),
  feedback: z.object({ rating: z.enum(['up', 'down']), comment: z.string().nullable() }).nullable(),
  /** The reply length this reply was allowed (assistant messages). */
  maxTokens: z.number().int().nullable(),
  /** Why a stopped reply stopped (`user`, `time_limit`) or a complete one was cut (`length`, `balance`). */
  finishReason: z.enum(['user', 'time_limit', 'length', 'balance']).nullable(),
  /**
   * This reply's exchange added or changed a memory (set once the extractor has run). The server
   * always sends it; a message the web app assembles from a stream has none yet.
   */
  memoryUpdated: z.boolean().optional(),
  createdAt: z.string(),
});
export type Message = z.infer<typeof message>;

const title = z
  .string()
  .trim()
  .min(1, 'Give the conversation a title, or leave the field out.')
  .max(MAX_TITLE_CHARS, `Keep the title to ${MAX_TITLE_CHARS} characters or fewer.`);
/** The fields a conversation and a preset share, with the same rules and messages. */
export const modelId = z.string().min(1, 'Choose a model.').max(200, 'That model id is too long.');
export const systemPrompt = z
  .string()
  .max(MAX_SYSTEM_PROMPT_CHARS, `Keep the system prompt to ${MAX_SYSTEM_PROMPT_CHARS} characters or fewer.`);
export const temperature = z
  .number()
  .min(0, 'Temperature goes from 0 to 2.')
  .max(2, 'Temperature goes from 0 to 2.');
export const maxTokens = z
  .number()
  .int('The reply length is a whole number of tokens.')
  .min(1, 'The reply length must be at least 1 token.')
  .max(MAX_REPLY_TOKENS, `The reply length can be at most ${MAX_REPLY_TOKENS} tokens.`);

export const listConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(200).optional(),
  q: z.string().trim().max(200).optional(),
  pinned: z.enum(['true', 'false']).optional(),
});
export type ListConversationsQuery = z.infer<typeof listConversationsQuery>;

export const listConversationsResponse = z.object({
  conversations: z.array(conversation),
  nextCursor: z.string().nullable(),
});
export type ListConversationsResponse = z.infer<typeof listConversationsResponse>;

/** What a conversation can set at creation and change later (null: back to the default). */
const conversationSettings = {
  title: title.optional(),
  model: modelId.optional(),
  systemPrompt: systemPrompt.nullable().optional(),
  temperature: temperature.nullable().optional(),
  maxTokens: maxTokens.nullable().optional(),
};

/** `presetId`: the preset's model and settings are copied in; fields given here win over them. */
export const createConversationBody = z
  .object({ ...conversationSettings, presetId: id.optional(), incognito: z.boolean().optional() })
  .strict();
export type CreateConversationBody = z.infer<typeof createConversationBody>;

/** Every field optional; null clears a setting back to the default. */
export const updateConversationBody = z
  .object({ ...conversationSettings, pinned: z.boolean().optional(), activeMessageId: id.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change.');
export type UpdateConversationBody = z.infer<typeof updateConversationBody>;

export const conversationResponse = z.object({ conversation });
export const conversationDetailResponse = z.object({ conversation, messages: z.array(message) });
export type ConversationDetailResponse = z.infer<typeof conversationDetailResponse>;

export const sendMessageBody = z
  .object({
    content: z
      .string()
      .max(MAX_MESSAGE_CHARS, `Keep the message to ${MAX_MESSAGE_CHARS} characters or fewer.`)
      .refine((s) => s.trim().length > 0, 'Write a message first.'),
    model: modelId,
    /**
     * The message the new one follows: absent → the end of the active branch; null → a new
     * branch from the start; an earlier assistant message → an edit from there, as a new branch.
     */
    parentId: id.nullable().optional(),
    imageIds: z.array(id).max(4, 'Attach at most 4 images to one message.').optional(),
    documentIds: z.array(id).max(50).optional(),
    maxTokens: maxTokens.optional(),
    temperature: temperature.optional(),
  })
  .strict();
export type SendMessageBody = z.infer<typeof sendMessageBody>;

export const regenerateBody = z
  .object({ model: modelId.optional(), maxTokens: maxTokens.optional(), temperature: temperature.optional() })
  .strict();
export type RegenerateBody = z.infer<typeof regenerateBody>;

/** `GET .../messages/{id}/stream?from=` resumes a reply that is still streaming. */
export const resumeStreamQuery = z.object({
  from: z.coerce.number().int().min(0).max(10_000_000).default(0),
});
export type ResumeStreamQuery = z.infer<typeof resumeStreamQuery>;

/** `GET /api/conversations/{id}/export?format=`: the active branch as a download. */
export const exportConversationQuery = z.object({ format: z.enum(['md', 'json']).default('md') });
export type ExportConversationQuery = z.infer<typeof exportConversationQuery>;
