import { app } from '@azure/functions';
import { shareService } from '../shared/shares/service';
import { http } from './platform/http';

app.http('shares-delete', {
  route: 'shares/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await shareService(core).revoke(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
