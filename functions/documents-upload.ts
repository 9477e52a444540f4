import { app } from '@azure/functions';
import { AppError } from '../shared/errors';
import { coreFor } from './platform/core';
import { http } from './platform/http';

/** A file posted to the API (multipart, field `file`); the limit is DOCUMENT_MAX_BYTES plus the form's framing. */
app.http('documents-upload', {
  route: 'documents',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, ctx) =>
    http(
      { auth: 'user', form: true, maxBody: await documentBodyLimit(ctx) },
      async ({ core, user, body }) => {
        const file = (body as FormData).get('file');
        if (!(file instanceof File)) {
          throw new AppError('invalid_request', 'Send the file in a form field named "file".');
        }
        const document = await core.documents.upload(user.id, {
          name: file.name,
          bytes: new Uint8Array(await file.arrayBuffer()),
        });
        return { status: 202, jsonBody: { document } };
      },
    )(req, ctx),
});

async function documentBodyLimit(ctx: Parameters<typeof coreFor>[0]) {
  return (await coreFor(ctx)).config.DOCUMENT_MAX_BYTES + 64 * 1024;
}
