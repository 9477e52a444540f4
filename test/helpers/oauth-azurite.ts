/**
 * Azurite as the local host runs it, plus HTTPS and `--oauth basic`: Azurite then takes bearer
 * tokens, checking their issuer, audience and lifetime (not the signature), issues user
 * delegation keys and verifies user delegation SAS signatures as Azure Storage does. The tokens
 * come from `entraToken`, a stand-in for Microsoft Entra ID (unreachable here): unsigned JWTs
 * with Entra's claims.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { freePorts } from '../../dev/host/azurite';
import { createLocalCertificates, type LocalCertificates } from '../../dev/fake-identity/tls';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const APP_OBJECT_ID = '0b9c3e3a-6f1d-4e8e-9a54-3f6a2d1c7e10';

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** What Entra would hand the identity for storage; a negative lifetime is an expired token. */
export function entraToken(lifetimeS = 3600): AccessToken {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    nbf: now - 900,
    iat: now - 900,
    exp: now + lifetimeS,
    oid: APP_OBJECT_ID,
    tid: TENANT,
  };
  return {
    token: `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`,
    expiresOnTimestamp: (now + lifetimeS) * 1000,
  };
}

/** A credential handing out `entraToken`s, recording the scopes asked for. */
export function fakeEntra(lifetimes: number[] = []): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(scope: string | string[]) {
      scopes.push(...[scope].flat());
      return Promise.resolve(entraToken(lifetimes.shift() ?? 3600));
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface OAuthAzurite {
  certs: LocalCertificates;
  blobServiceUri: string;
  queueServiceUri: string;
  stop(): Promise<void>;
}

export async function startOAuthAzurite(): Promise<OAuthAzurite> {
  const certs = createLocalCertificates();
  const dir = path.dirname(certs.caFile);
  const [blobPort = 0, queuePort = 0, tablePort = 0] = await freePorts(3);
  const pkg = require.resolve('azurite/package.json');
  const bin = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { bin: Record<string, string> }).bin.azurite!;
  // prettier-ignore
  const child = spawn(process.execPath, [
    path.resolve(path.dirname(pkg), bin), '--silent', '--loose', '--skipApiVersionCheck', '--disableTelemetry',
    '--inMemoryPersistence', '--oauth', 'basic',
    '--cert', path.join(dir, 'server.pem'), '--key', path.join(dir, 'server.key'),
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
  ], { stdio: 'ignore' });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(blobPort)) || !(await canConnect(queuePort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('Azurite (HTTPS, OAuth) did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    certs,
    blobServiceUri: `https://127.0.0.1:${blobPort}/devstoreaccount1`,
    queueServiceUri: `https://127.0.0.1:${queuePort}/devstoreaccount1`,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The storage SDK makes its own HTTPS agents and Node reads NODE_EXTRA_CA_CERTS only at start,
 * so while a test file talks to this Azurite through the SDK, TLS accepts any certificate; the
 * tests' own requests (a browser's PUT to an upload link) check the CA. Returns the undo.
 */
export function trustAnyCertificateForTheSdk(): () => void {
  const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  return () => {
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
  };
}
