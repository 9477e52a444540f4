import type { Image } from '../../../shared/contracts/images';

/** An image in the composer: uploading (progress), uploaded (`image`), or refused (`error`). */
export interface Attachment {
  key: number;
  name: string;
  /** A `blob:` URL of the chosen file while it uploads; the stored image is shown after. */
  preview: string;
  /** 0 to 1 while uploading. */
  progress: number;
  image?: Image;
  error?: string;
}

/** Images one message may carry (API.md). */
export const MAX_ATTACHMENTS = 4;
