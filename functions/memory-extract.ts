import { app } from '@azure/functions';
import { memoryExtractJob } from '../shared/contracts/jobs';
import { queueJob } from './platform/triggers';

/** Keeps what the user said about themselves in a finished reply; a throw retries, then poison. */
app.storageQueue(memoryExtractJob.name, {
  queueName: memoryExtractJob.queue,
  connection: 'AzureWebJobsStorage',
  handler: queueJob(memoryExtractJob, async (job, { core, ctx }) => {
    const changed = await core.memories.extract(job.userId, job.conversationId, job.messageId);
    ctx.log(
      changed === null
        ? `no memory work for ${job.messageId}`
        : `${changed} memories changed by ${job.messageId}`,
    );
  }),
});
