import { z } from 'zod';

export const documentStatus = z.enum(['processing', 'ready', 'failed']);

export const document = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  source: z.enum(['upload', 'inbox']),
  status: documentStatus,
  /** A sentence a person can act on, when failed. */
  error: z.string().nullable(),
  pages: z.number().int().nullable(),
  chunkCount: z.number().int(),
  /** 0 to 1 while processing. */
  progress: z.number(),
  createdAt: z.string(),
});
export type Document = z.infer<typeof document>;

export const MAX_DOCUMENT_NAME_CHARS = 200;

const documentName = z
  .string()
  .trim()
  .min(1, 'Give the file a name.')
  .max(MAX_DOCUMENT_NAME_CHARS, `Keep the file name to ${MAX_DOCUMENT_NAME_CHARS} characters or fewer.`);

export const uploadUrlBody = z
  .object({
    name: documentName,
    size: z.number().int('The size is a whole number of bytes.').min(1, 'The file is empty.'),
    contentType: z.string().max(200).optional(),
  })
  .strict();
export type UploadUrlBody = z.infer<typeof uploadUrlBody>;

export const uploadUrlResponse = z.object({ document, uploadUrl: z.string(), expiresAt: z.string() });
export const documentsResponse = z.object({ documents: z.array(document) });
export const documentResponse = z.object({ document });

/** Blob names keep letters, digits and a few marks; everything else becomes `_` (and the shown name stays as given). */
export const blobSafeName = (name: string) =>
  name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^\.+/, '_')
    .slice(0, MAX_DOCUMENT_NAME_CHARS) || 'file';

/** The input of the ingestDocument orchestration and its activities: an id, never the text. */
export const ingestInput = z.object({ documentId: z.string().min(1).max(64) });
export type IngestInput = z.infer<typeof ingestInput>;
