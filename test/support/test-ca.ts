/**
 * A throwaway certificate authority made with `openssl` in a temporary directory: its CA
 * certificate (to trust, as a team's private CA is) and server certificates for 127.0.0.1
 * issued by it, each a P-256 key. `dispose()` removes the directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  caFile: string;
  ca: string;
  /** A certificate for IP 127.0.0.1 (and localhost), valid one day, named `name` in its files. */
  issue(name: string): IssuedCertificate;
  dispose(): void;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', timeout: 15_000 });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'weather-ca-'));
  const caFile = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  openssl(['req', '-x509', ...EC_KEY, '-days', '2', '-subj', '/CN=weather test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', caKey, '-out', caFile]);
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    issue(name) {
      const certFile = join(dir, `${name}.pem`);
      const keyFile = join(dir, `${name}.key`);
      openssl(['req', '-x509', '-CA', caFile, '-CAkey', caKey, ...EC_KEY, '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=CA:FALSE', '-keyout', keyFile, '-out', certFile]);
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
