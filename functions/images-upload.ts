import { app } from '@azure/functions';
import { AppError } from '../shared/errors';
import { coreFor } from './platform/core';
import { http } from './platform/http';

/** An image for a message (multipart, field `file`); the limit is IMAGE_MAX_BYTES plus the form's framing. */
app.http('images-upload', {
  route: 'images',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, ctx) =>
    http({ auth: 'user', form: true, maxBody: await imageBodyLimit(ctx) }, async ({ core, user, body }) => {
      const file = (body as FormData).get('file');
      if (!(file instanceof File)) {
        throw new AppError('invalid_request', 'Send the image in a form field named "file".');
      }
      const image = await core.images.upload(user.id, new Uint8Array(await file.arrayBuffer()));
      return { status: 201, jsonBody: { image } };
    })(req, ctx),
});

async function imageBodyLimit(ctx: Parameters<typeof coreFor>[0]) {
  return (await coreFor(ctx)).config.IMAGE_MAX_BYTES + 64 * 1024;
}
