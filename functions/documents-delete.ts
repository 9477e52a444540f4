import * as df from 'durable-functions';
import { http } from './platform/http';

/** Removes the document, its chunks, vectors and blob, and stops a running ingestion. */
df.app.client.http('documents-delete', {
  route: 'documents/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: (req, client, ctx) =>
    http({ auth: 'user' }, async ({ core, user, params }) => {
      const { instanceId } = await core.documents.delete(user.id, params.id ?? '');
      if (instanceId) {
        // Its activities find the document gone and write nothing; stopping it saves their work.
        await client.terminate(instanceId, 'The document was deleted').catch(() => undefined);
      }
      return { status: 204 };
    })(req, ctx),
});
