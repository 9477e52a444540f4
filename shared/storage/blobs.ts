import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { resolveConnectionString } from './queues';

/** The blobs the app keeps (documents, inbox drops): bytes in, bytes out, and upload links. */
export interface BlobStore {
  put(container: string, name: string, bytes: Uint8Array, contentType: string): Promise<{ etag: string }>;
  /** Null when the blob is not there (deleted meanwhile). */
  get(container: string, name: string): Promise<{ bytes: Buffer; contentType: string; etag: string } | null>;
  size(container: string, name: string): Promise<number | null>;
  delete(container: string, name: string): Promise<void>;
  /** A write-only link for exactly this blob, valid until `expiresAt` (the browser PUTs to it). */
  uploadUrl(container: string, name: string, expiresAt: Date): string;
  /** Lets the web app's origin PUT to upload links (the storage account's CORS rules). */
  allowUploadsFrom(origin: string): Promise<void>;
}

function sharedKey(connectionString: string): StorageSharedKeyCredential | null {
  const parts = Object.fromEntries(
    connectionString.split(';').flatMap((p) => {
      const eq = p.indexOf('=');
      return eq > 0 ? [[p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()]] : [];
    }),
  );
  return parts.accountname && parts.accountkey
    ? new StorageSharedKeyCredential(parts.accountname, parts.accountkey)
    : null;
}

export function storageBlobStore(connectionString: string): BlobStore {
  const resolved = resolveConnectionString(connectionString);
  const service = BlobServiceClient.fromConnectionString(resolved);
  const credential = sharedKey(resolved);
  const ensured = new Map<string, Promise<unknown>>();
  const container = (name: string) => {
    const client = service.getContainerClient(name);
    let ready = ensured.get(name);
    if (!ready) {
      ready = client.createIfNotExists();
      ensured.set(name, ready);
      ready.catch(() => ensured.delete(name));
    }
    return { client, ready };
  };

  return {
    async put(c, name, bytes, contentType) {
      const { client, ready } = container(c);
      await ready;
      const res = await client.getBlockBlobClient(name).uploadData(bytes, {
        blobHTTPHeaders: { blobContentType: contentType },
      });
      return { etag: res.etag ?? '' };
    },

    async get(c, name) {
      const { client, ready } = container(c);
      await ready;
      try {
        const bytes = await client.getBlobClient(name).downloadToBuffer();
        const props = await client.getBlobClient(name).getProperties();
        return {
          bytes,
          contentType: props.contentType ?? 'application/octet-stream',
          etag: props.etag ?? '',
        };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
    },

    async size(c, name) {
      const { client, ready } = container(c);
      await ready;
      try {
        return (await client.getBlobClient(name).getProperties()).contentLength ?? 0;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
    },

    async delete(c, name) {
      const { client, ready } = container(c);
      await ready;
      await client.getBlobClient(name).deleteIfExists({ deleteSnapshots: 'include' });
    },

    uploadUrl(c, name, expiresAt) {
      // Identity-based accounts would use a user delegation key; the connection strings we run on carry a key.
      if (!credential) throw new Error('Upload links need a storage connection string with an account key');
      const blob = service.getContainerClient(c).getBlobClient(name);
      const sas = generateBlobSASQueryParameters(
        {
          containerName: c,
          blobName: name,
          permissions: BlobSASPermissions.parse('cw'),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: expiresAt,
        },
        credential,
      ).toString();
      return `${blob.url}?${sas}`;
    },

    async allowUploadsFrom(origin) {
      const props = await service.getProperties();
      const rules = (props.cors ?? []).filter((r) => r.allowedOrigins !== origin);
      rules.push({
        allowedOrigins: origin,
        allowedMethods: 'PUT,OPTIONS',
        allowedHeaders: 'content-type,x-ms-blob-type,x-ms-version,x-ms-client-request-id',
        exposedHeaders: 'etag',
        maxAgeInSeconds: 3600,
      });
      await service.setProperties({ ...props, cors: rules });
    },
  };
}
