import { app, type InvocationContext } from '@azure/functions';
import { TITLE_QUEUE, type TitleJob } from '../shared/chat/service';
import { titleJob } from '../shared/contracts/jobs';
import { services } from './platform/services';

/** Names a conversation after its first reply; a throw makes the queue retry, then poison. */
export async function generateTitle(message: unknown, ctx: InvocationContext): Promise<void> {
  const parsed = titleJob.safeParse(message);
  if (!parsed.success) {
    // Retrying a malformed message cannot help; dropping it loses nothing.
    ctx.warn(`ignoring malformed title job: ${parsed.error.message}`);
    return;
  }
  const job: TitleJob = parsed.data;
  const title = await (await services()).titles.generate(job.userId, job.conversationId);
  ctx.log(title ? `titled ${job.conversationId}` : `no title needed for ${job.conversationId}`);
}

app.storageQueue('titles-generate', {
  queueName: TITLE_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: generateTitle,
});
