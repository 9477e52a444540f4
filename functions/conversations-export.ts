import { app } from '@azure/functions';
import { exportConversationQuery } from '../shared/contracts/conversations';
import { attachment } from '../shared/conversations/export';
import { http } from './platform/http';

app.http('conversations-export', {
  route: 'conversations/{id}/export',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: exportConversationQuery }, async ({ core, user, params, query }) => {
    const file = await core.conversations.export(user.id, params.id ?? '', query.format);
    return {
      headers: {
        'Content-Type': file.contentType,
        'Content-Disposition': attachment(file.filename),
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
      body: file.body,
    };
  }),
});
