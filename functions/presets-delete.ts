import { app } from '@azure/functions';
import { presetService } from '../shared/presets/service';
import { http } from './platform/http';

app.http('presets-delete', {
  route: 'presets/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await presetService(core).delete(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
