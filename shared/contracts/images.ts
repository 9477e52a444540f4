import { z } from 'zod';

/** The types an upload may be (decided from its bytes); GIFs are stored as PNG. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
/** Images one message may carry. */
export const MAX_IMAGES_PER_MESSAGE = 4;
/** The longest side of a stored image: larger ones are scaled down on upload. */
export const IMAGE_MAX_SIDE = 2048;

/** An uploaded image as stored: re-encoded, without metadata, `size` in bytes. */
export const image = z.object({
  id: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
});
export type Image = z.infer<typeof image>;

export const imageResponse = z.object({ image });
export type ImageResponse = z.infer<typeof imageResponse>;
