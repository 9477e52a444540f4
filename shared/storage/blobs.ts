import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import type { StorageConnection } from './connection';
import { resolveConnectionString } from './queues';

/** The blobs the app keeps (documents, inbox drops): bytes in, bytes out, and upload links. */
export interface BlobStore {
  put(container: string, name: string, bytes: Uint8Array, contentType: string): Promise<{ etag: string }>;
  /** Null when the blob is not there (deleted meanwhile). */
  get(container: string, name: string): Promise<{ bytes: Buffer; contentType: string; etag: string } | null>;
  size(container: string, name: string): Promise<number | null>;
  delete(container: string, name: string): Promise<void>;
  /** A write-only link for exactly this blob, valid until `expiresAt` (the browser PUTs to it). */
  uploadUrl(container: string, name: string, expiresAt: Date): Promise<string>;
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

/** Signs an upload link's query string: write-only (create, write), one blob, until `expiresAt`. */
type SasSigner = (container: string, name: string, expiresAt: Date) => Promise<string>;

const uploadPermissions = () => BlobSASPermissions.parse('cw');
// Clocks differ a little between the app, storage and the browser's first PUT.
const CLOCK_SKEW_MS = 60_000;

function accountKeySigner(credential: StorageSharedKeyCredential): SasSigner {
  return (containerName, blobName, expiresOn) =>
    Promise.resolve(
      generateBlobSASQueryParameters(
        {
          containerName,
          blobName,
          permissions: uploadPermissions(),
          startsOn: new Date(Date.now() - CLOCK_SKEW_MS),
          expiresOn,
        },
        credential,
      ).toString(),
    );
}

/** How long a user delegation key is asked for, and how much life it must have left past a link's expiry. */
export const DELEGATION_KEY_MS = 6 * 3600_000;
export const DELEGATION_KEY_MARGIN_MS = 5 * 60_000;
// The service refuses a key that ends more than seven days out.
const DELEGATION_KEY_MAX_MS = 7 * 24 * 3600_000 - CLOCK_SKEW_MS;

/** The part of BlobServiceClient the delegation signer uses. */
export interface DelegationKeySource {
  readonly accountName: string;
  getUserDelegationKey(startsOn: Date, expiresOn: Date): Promise<UserDelegationKey>;
}

/**
 * Signs with a user delegation key: an identity has no account key, so it asks storage for a key
 * tied to itself (Get User Delegation Key, allowed by Storage Blob Data Contributor/Owner or
 * Storage Blob Delegator) and signs with that. One key serves every link until shortly before it
 * ends; links are refused by storage once the key's identity loses its role, as they should be.
 */
export function userDelegationSigner(service: DelegationKeySource): SasSigner {
  let cached: { expiresOn: Date; startsOn: Date; key: Promise<UserDelegationKey> } | undefined;
  const keyFor = (expiresAt: Date) => {
    if (cached && cached.expiresOn.getTime() >= expiresAt.getTime() + DELEGATION_KEY_MARGIN_MS) return cached;
    const now = Date.now();
    const startsOn = new Date(now - CLOCK_SKEW_MS);
    const wanted = Math.max(now + DELEGATION_KEY_MS, expiresAt.getTime() + DELEGATION_KEY_MARGIN_MS);
    const expiresOn = new Date(Math.min(wanted, now + DELEGATION_KEY_MAX_MS));
    const entry = { startsOn, expiresOn, key: service.getUserDelegationKey(startsOn, expiresOn) };
    cached = entry;
    // A failed request (role not there yet, storage away) is asked again next time, not kept.
    entry.key.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry;
  };
  return async (containerName, blobName, expiresOn) => {
    if (expiresOn.getTime() > Date.now() + DELEGATION_KEY_MAX_MS) {
      throw new Error('An upload link signed with a user delegation key lasts at most seven days');
    }
    const entry = keyFor(expiresOn);
    const key = await entry.key;
    return generateBlobSASQueryParameters(
      {
        containerName,
        blobName,
        permissions: uploadPermissions(),
        startsOn: new Date(Math.max(Date.now() - CLOCK_SKEW_MS, entry.startsOn.getTime())),
        expiresOn,
        protocol: SASProtocol.Https,
        // The service version the key was issued under (Azure: the SDK's own; Azurite derives the
        // key from the SAS's version, so a newer SDK default would not verify there).
        version: key.signedVersion,
      },
      key,
      service.accountName,
    ).toString();
  };
}

function blobServiceFor(connection: string | StorageConnection): {
  service: BlobServiceClient;
  sign: SasSigner;
} {
  if (typeof connection === 'string' || connection.kind === 'connection-string') {
    const resolved = resolveConnectionString(
      typeof connection === 'string' ? connection : connection.connectionString,
    );
    const credential = sharedKey(resolved);
    return {
      service: BlobServiceClient.fromConnectionString(resolved),
      sign: credential
        ? accountKeySigner(credential)
        : () =>
            Promise.reject(
              new Error('Upload links need an account key in the connection string, or an identity'),
            ),
    };
  }
  const service = new BlobServiceClient(connection.blobServiceUri, connection.credential);
  return { service, sign: userDelegationSigner(service) };
}

export function storageBlobStore(connection: string | StorageConnection): BlobStore {
  const { service, sign } = blobServiceFor(connection);
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

    async uploadUrl(c, name, expiresAt) {
      const blob = service.getContainerClient(c).getBlobClient(name);
      return `${blob.url}?${await sign(c, name, expiresAt)}`;
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
