import { app } from '@azure/functions';
import { uploadUrlBody } from '../shared/contracts/documents';
import { http } from './platform/http';

/** A write-only link for one blob, for files too large to post through the API. */
app.http('documents-upload-url', {
  route: 'documents/upload-url',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: uploadUrlBody, maxBody: 8 * 1024 }, async ({ core, user, body }) => ({
    jsonBody: await core.documents.uploadUrl(user.id, body),
  })),
});
