/**
 * Reading a lab CA certificate (`--ca F`, `$DISTRIBUTE_CA`) and checking it is one, with fs and
 * crypto only: the CLI checks the file before it needs TLS, and loads TLS (lab-ca.ts) only when it
 * actually talks to an https head.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

// node:crypto is loaded when a CA file is actually read, not when this module is: the CLI imports
// it for every command that talks to the head, and crypto costs `distribute status` ~4 ms of
// start-up without --ca (bench/startup.ts).
const require = createRequire(import.meta.url);

/** The PEM text of the CA in `file`, or why it is not a usable certificate. */
export function loadCaFile(file: string): { ok: true; pem: string } | { ok: false; error: string } {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    const { X509Certificate } = require('node:crypto') as typeof import('node:crypto');
    const cert = new X509Certificate(pem);
    if (!cert.ca) return { ok: false, error: `'${file}' is a certificate but not a CA certificate (basicConstraints CA:FALSE); give the lab CA's certificate` };
  } catch {
    return { ok: false, error: `'${file}' is not a PEM certificate` };
  }
  return { ok: true, pem };
}

