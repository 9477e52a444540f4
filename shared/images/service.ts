import sharp from 'sharp';
import type { Clock } from '../clock';
import { IMAGE_MAX_SIDE, type Image } from '../contracts/images';
import type { Db } from '../db/db';
import { AppError, notFound } from '../errors';
import { newId } from '../ids';
import type { BlobStore } from '../storage/blobs';
import { sniffImage, type ImageType } from './sniff';
import { imageStore, type ImageBlob, type ImageRow } from './store';
import { imageTokens } from './tokens';

export const IMAGES_CONTAINER = 'images';

const UNSUPPORTED = 'We take PNG, JPEG, WebP and GIF images; this file is none of those.';

export const toImage = (r: ImageRow): Image => ({
  id: r.id,
  contentType: r.content_type,
  size: Number(r.size),
  width: r.width,
  height: r.height,
});

/** A stored image as a prompt weighs it: its token cost, and the row to fetch its bytes by. */
export interface StoredImage {
  id: string;
  tokens: number;
  row: ImageRow;
}

export type ImageService = ReturnType<typeof imageService>;

export function imageService(deps: {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  maxBytes: number;
  maxPixels: number;
  log?: (msg: string, err?: unknown) => void;
}) {
  const { db, clock, blobs } = deps;
  const log = deps.log ?? (() => undefined);

  async function removeBlobs(list: ImageBlob[]): Promise<void> {
    // The rows are gone already: a blob that fails to go is unreachable, and only costs storage.
    for (const b of list) {
      await blobs.delete(b.blob_container, b.blob_name).catch((err) => log('image blob not deleted', err));
    }
  }

  return {
    /**
     * Typed from the bytes, refused from its header when it declares too many pixels (so a
     * decompression bomb is never decoded), then re-encoded: turned upright, scaled to at most
     * IMAGE_MAX_SIDE, and written without EXIF, GPS, XMP or ICC metadata.
     */
    async upload(userId: string, bytes: Uint8Array): Promise<Image> {
      if (bytes.byteLength === 0) throw new AppError('invalid_request', 'The image is empty.');
      if (bytes.byteLength > deps.maxBytes) {
        throw new AppError(
          'too_large',
          `Images can be at most ${Math.round(deps.maxBytes / 1024 / 1024)} MB; this one is larger.`,
        );
      }
      const type = await sniffImage(bytes);
      if (!type) throw new AppError('unsupported_type', UNSUPPORTED);
      const encoded = await reencode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), type);
      const id = newId();
      const blobName = `${userId}/${id}`;
      await blobs.put(IMAGES_CONTAINER, blobName, encoded.bytes, encoded.contentType);
      try {
        const row = await imageStore(db).insert({
          id,
          userId,
          contentType: encoded.contentType,
          size: encoded.bytes.byteLength,
          width: encoded.width,
          height: encoded.height,
          container: IMAGES_CONTAINER,
          blobName,
          at: clock.now(),
        });
        return toImage(row);
      } catch (err) {
        await removeBlobs([{ blob_container: IMAGES_CONTAINER, blob_name: blobName }]);
        throw err;
      }
    },

    /** The stored bytes, to their owner only. */
    async file(userId: string, id: string): Promise<{ contentType: string; bytes: Buffer }> {
      const row = await imageStore(db).get(userId, id);
      if (!row) throw notFound('Image');
      const blob = await blobs.get(row.blob_container, row.blob_name);
      if (!blob) throw new AppError('not_found', 'The file of this image is gone. Attach it again.');
      return { contentType: row.content_type, bytes: blob.bytes };
    },

    /**
     * The user's images with these ids, in the order given and without repeats; an id that is not
     * the user's image is a 404, exactly as an unknown one.
     */
    async owned(userId: string, ids: string[]): Promise<StoredImage[]> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return [];
      const rows = new Map((await imageStore(db).some(userId, unique)).map((r) => [r.id, r]));
      return unique.map((id) => {
        const row = rows.get(id);
        if (!row) throw new AppError('not_found', 'An attached image was not found. Attach it again.');
        return { id, tokens: imageTokens(row.width, row.height), row };
      });
    },

    /** Images of earlier turns; those that are gone are left out rather than failing the reply. */
    async existing(userId: string, ids: string[]): Promise<StoredImage[]> {
      if (ids.length === 0) return [];
      const rows = new Map((await imageStore(db).some(userId, [...new Set(ids)])).map((r) => [r.id, r]));
      return ids.flatMap((id) => {
        const row = rows.get(id);
        return row ? [{ id, tokens: imageTokens(row.width, row.height), row }] : [];
      });
    },

    /** `data:` URLs for the images a prompt keeps, by id; a blob that is gone has none. */
    async dataUrls(images: StoredImage[]): Promise<Map<string, string>> {
      const urls = new Map<string, string>();
      await Promise.all(
        images.map(async ({ id, row }) => {
          const blob = await blobs.get(row.blob_container, row.blob_name);
          if (blob) urls.set(id, `data:${row.content_type};base64,${blob.bytes.toString('base64')}`);
        }),
      );
      return urls;
    },

    /**
     * Removes, in the caller's transaction, the images only this conversation's messages carry;
     * the returned function deletes their blobs and is called once that transaction committed.
     */
    async releaseConversation(tx: Db, userId: string, conversationId: string): Promise<() => Promise<void>> {
      const gone = await imageStore(tx).deleteForConversation(userId, conversationId);
      return () => removeBlobs(gone);
    },

    /** Every image of the user, rows and blobs (account deletion). */
    async deleteAll(userId: string): Promise<void> {
      await removeBlobs(await imageStore(db).deleteAll(userId));
    },
  };

  async function reencode(
    input: Buffer,
    type: ImageType,
  ): Promise<{ bytes: Buffer; contentType: string; width: number; height: number }> {
    let meta: sharp.Metadata;
    try {
      // Reads the header only; the pixel limit below is what keeps the decoder away from bombs.
      meta = await sharp(input, { limitInputPixels: false }).metadata();
    } catch {
      throw unreadable();
    }
    const { width, height } = meta;
    if (!width || !height) throw unreadable();
    if (width * height > deps.maxPixels) {
      throw new AppError(
        'invalid_request',
        `The image is ${width} × ${height} pixels; we take at most ${Math.round(deps.maxPixels / 1e6)} megapixels. Scale it down and attach it again.`,
      );
    }
    try {
      // Only the first frame of an animation is kept: vision models read still images.
      const pipeline = sharp(input, { limitInputPixels: deps.maxPixels, failOn: 'error' })
        .rotate()
        .resize({ width: IMAGE_MAX_SIDE, height: IMAGE_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
      const out =
        type === 'image/jpeg'
          ? pipeline.jpeg({ quality: 85 })
          : type === 'image/webp'
            ? pipeline.webp({ quality: 85 })
            : // Some providers take no GIF; a still PNG is read by all of them.
              pipeline.png();
      const { data, info } = await out.toBuffer({ resolveWithObject: true });
      return {
        bytes: data,
        contentType: type === 'image/gif' ? 'image/png' : type,
        width: info.width,
        height: info.height,
      };
    } catch {
      throw unreadable();
    }
  }
}

const unreadable = () =>
  new AppError('invalid_request', 'The image could not be read; it may be damaged. Try another file.');
