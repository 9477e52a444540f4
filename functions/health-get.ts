import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function health(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'none' }, async ({ services }) => {
    const { ok, body } = await services.health();
    return { status: ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' }, jsonBody: body };
  });
}

app.http('health-get', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
