import { app } from '@azure/functions';
import { titleJob } from '../shared/contracts/jobs';
import { queueJob } from './platform/triggers';

/** Names a conversation after its first reply; a throw makes the queue retry, then poison. */
app.storageQueue(titleJob.name, {
  queueName: titleJob.queue,
  connection: 'AzureWebJobsStorage',
  handler: queueJob(titleJob, async (job, { core, ctx }) => {
    const title = await core.titles.generate(job.userId, job.conversationId);
    ctx.log(title ? `titled ${job.conversationId}` : `no title needed for ${job.conversationId}`);
  }),
});
