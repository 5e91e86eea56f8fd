/**
 * `server --tls-cert F --tls-key F`: the certificate chain and private key the head serves HTTPS
 * and WSS with. Both or neither; each readable PEM, and the key must belong to the certificate.
 * Anything else is a usage error naming the file and the problem, before the head starts.
 */
import fs from 'node:fs';
import tls from 'node:tls';

export type TlsFiles = { ok: true; tls: { cert: string; key: string } | undefined } | { ok: false; error: string };

export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsFiles {
  if (certFile === undefined && keyFile === undefined) return { ok: true, tls: undefined };
  if (certFile === undefined || keyFile === undefined) return { ok: false, error: `--tls-cert and --tls-key go together (got only ${certFile === undefined ? '--tls-key' : '--tls-cert'})` };
  const read = (option: string, file: string): { ok: true; text: string } | { ok: false; error: string } => {
    try {
      return { ok: true, text: fs.readFileSync(file, 'utf8') };
    } catch (err) {
      return { ok: false, error: `${option}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  };
  const cert = read('--tls-cert', certFile);
  if (!cert.ok) return cert;
  const key = read('--tls-key', keyFile);
  if (!key.ok) return key;
  if (!/-----BEGIN CERTIFICATE-----/.test(cert.text)) return { ok: false, error: `--tls-cert: '${certFile}' holds no PEM certificate` };
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)) return { ok: false, error: `--tls-key: '${keyFile}' holds no PEM private key` };
  try {
    tls.createSecureContext({ cert: cert.text, key: key.text });
  } catch (err) {
    return { ok: false, error: `--tls-cert/--tls-key: ${(err as Error).message} (does the key belong to the certificate?)` };
  }
  return { ok: true, tls: { cert: cert.text, key: key.text } };
}
