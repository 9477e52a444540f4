import { z } from 'zod';
import { id } from './common';

/** A queue job: its name (also the function's), the queue it travels on, and its payload schema. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  queue: string;
  schema: S;
}
export type JobPayload<J extends JobDefinition> = z.infer<J['schema']>;

export const defineJob = <S extends z.ZodType>(name: string, queue: string, schema: S): JobDefinition<S> => ({
  name,
  queue,
  schema,
});

/** Names a new conversation after its first reply. */
export const titleJob = defineJob(
  'titles-generate',
  'conversation-titles',
  z.object({ userId: id, conversationId: id }),
);

/** Extracts durable facts the user stated from one finished reply's exchange. */
export const memoryExtractJob = defineJob(
  'memory-extract',
  'memory-extract',
  z.object({ userId: id, conversationId: id, messageId: id }),
);

/** Every job the app declares: the queues the infrastructure must create, each with its -poison twin. */
export const jobs = [titleJob, memoryExtractJob] as const;
