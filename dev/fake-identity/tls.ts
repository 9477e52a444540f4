import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LocalCertificates {
  /** The CA certificate's file: what NODE_EXTRA_CA_CERTS names. */
  caFile: string;
  caPem: string;
  /** The server's key and certificate (for localhost, 127.0.0.1 and ::1), signed by the CA. */
  key: string;
  cert: string;
}

/**
 * A throwaway certificate authority and a localhost server certificate it signed, made with the
 * machine's openssl (msal-node refuses an `http:` authority, so the offline Microsoft provider
 * serves HTTPS). Valid for two days; nothing is installed anywhere.
 */
export function createLocalCertificates(
  dir = path.join(tmpdir(), `gm-identity-${process.pid}-${Date.now()}`),
): LocalCertificates {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  // prettier-ignore
  openssl(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-subj', '/CN=GloriaMundo offline identity CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  );
  // prettier-ignore
  openssl(
    'req', '-newkey', 'rsa:2048', '-nodes', '-sha256',
    '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost',
  );
  writeFileSync(
    f('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ].join('\n'),
  );
  // prettier-ignore
  openssl(
    'x509', '-req', '-sha256', '-days', '2', '-in', f('server.csr'),
    '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-extfile', f('server.ext'), '-out', f('server.pem'),
  );
  return {
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    key: readFileSync(f('server.key'), 'utf8'),
    cert: readFileSync(f('server.pem'), 'utf8'),
  };
}
