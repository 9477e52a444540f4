import { IMAGE_TYPES } from '../contracts/images';

export type ImageType = (typeof IMAGE_TYPES)[number];

// file-type is ESM-only; the app compiles to CommonJS, so it is loaded with a real import().
const loadFileType = () => import('file-type');
let fileTypeModule: ReturnType<typeof loadFileType> | undefined;
const fileType = () => (fileTypeModule ??= loadFileType());

/** The image type from the bytes alone (a name or a Content-Type can say anything); null when not one we take. */
export async function sniffImage(bytes: Uint8Array): Promise<ImageType | null> {
  const { fileTypeFromBuffer } = await fileType();
  const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
  // An animated PNG is a PNG to every decoder (they show its first frame).
  const mime = detected?.mime === 'image/apng' ? 'image/png' : detected?.mime;
  return (IMAGE_TYPES as readonly string[]).includes(mime ?? '') ? (mime as ImageType) : null;
}
