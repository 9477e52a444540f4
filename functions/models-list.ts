import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function listModels(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'none' }, async ({ services }) => ({
    headers: { 'Cache-Control': 'public, max-age=300' },
    jsonBody: { models: await services.models.list() },
  }));
}

app.http('models-list', { route: 'models', methods: ['GET'], authLevel: 'anonymous', handler: listModels });
