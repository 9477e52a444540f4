import { app } from '@azure/functions';
import { http } from './platform/http';

/** OpenAI's model list shape, for tools that pick a model from it. */
app.http('v1-models', {
  route: 'v1/models',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'apiKey' }, async ({ core }) => ({
    jsonBody: {
      object: 'list',
      data: (await core.models.list()).map((m) => ({
        id: m.id,
        object: 'model',
        // The catalogue does not say when a model was made; 0 says "unknown" in OpenAI's field.
        created: 0,
        owned_by: m.id.split('/')[0] ?? 'gloriamundo',
      })),
    },
  })),
});
