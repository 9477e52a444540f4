import { z } from 'zod';
import { id } from './common';

export const MAX_MESSAGE_CHARS = 100_000;
export const MAX_TITLE_CHARS = 200;

export const conversation = z.object({
  id: z.string(),
  title: z.string().nullable(),
  model: z.string().nullable(),
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

export const message = z.object({
  id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  reasoning: z.string().nullable(),
  model: z.string().nullable(),
  status: messageStatus,
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  imageIds: z.array(z.string()),
  citations: z.array(citation),
  usage: usage.nullable(),
  createdAt: z.string(),
});
export type Message = z.infer<typeof message>;

const title = z.string().trim().min(1, 'title must not be empty').max(MAX_TITLE_CHARS);

export const listConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(200).optional(),
  q: z.string().trim().max(200).optional(),
});
export type ListConversationsQuery = z.infer<typeof listConversationsQuery>;

export const listConversationsResponse = z.object({
  conversations: z.array(conversation),
  nextCursor: z.string().nullable(),
});
export type ListConversationsResponse = z.infer<typeof listConversationsResponse>;

export const createConversationBody = z
  .object({ title: title.optional(), model: z.string().min(1).max(200).optional() })
  .strict();
export type CreateConversationBody = z.infer<typeof createConversationBody>;

export const renameConversationBody = z.object({ title }).strict();
export type RenameConversationBody = z.infer<typeof renameConversationBody>;

export const conversationResponse = z.object({ conversation });
export const conversationDetailResponse = z.object({ conversation, messages: z.array(message) });
export type ConversationDetailResponse = z.infer<typeof conversationDetailResponse>;

export const sendMessageBody = z
  .object({
    content: z
      .string()
      .max(MAX_MESSAGE_CHARS, `content must be at most ${MAX_MESSAGE_CHARS} characters`)
      .refine((s) => s.trim().length > 0, 'content must not be empty'),
    model: z.string().min(1).max(200),
    imageIds: z.array(id).max(8).optional(),
    documentIds: z.array(id).max(50).optional(),
    maxTokens: z.number().int().min(1).max(200_000).optional(),
  })
  .strict();
export type SendMessageBody = z.infer<typeof sendMessageBody>;
