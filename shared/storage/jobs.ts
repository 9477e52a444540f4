import type { JobDefinition, JobPayload } from '../contracts/jobs';
import type { QueueSender } from './queues';

/** Puts declared jobs on their queues; a payload that does not match its schema is a bug, caught here. */
export function jobQueue(sender: QueueSender) {
  return {
    async enqueue<J extends JobDefinition>(job: J, payload: JobPayload<J>): Promise<void> {
      await sender.send(job.queue, job.schema.parse(payload) as object);
    },
  };
}

export type JobQueue = ReturnType<typeof jobQueue>;
