/**
 * The node credential an agent received when it enrolled (see head/auth/node-credentials.ts),
 * kept in `<workdir>/node-credential.json` (mode 0600) as `{ name, credential }`. A credential is
 * bound to one node name: started under another name, the agent enrolls that name instead.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const CREDENTIAL_FILE = 'node-credential.json';

export class NodeCredentialFile {
  readonly file: string;

  constructor(workdir: string) {
    this.file = path.join(workdir, CREDENTIAL_FILE);
  }

  /**
   * The stored credential for node `name`, or null (none, another name's, or unreadable; an
   * unreadable file is reported through `log` and left for the admin to look at).
   */
  async load(name: string, log: (line: string) => void): Promise<string | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`cannot read ${this.file}: ${(err as Error).message}; enrolling with the enrollment token`);
      return null;
    }
    try {
      const data = JSON.parse(text) as { name?: unknown; credential?: unknown };
      if (typeof data.credential !== 'string' || typeof data.name !== 'string') throw new Error('missing name or credential');
      if (data.name !== name) {
        log(`${this.file} holds the credential of node '${data.name}', not '${name}'; enrolling '${name}' with the enrollment token`);
        return null;
      }
      return data.credential;
    } catch (err) {
      log(`${this.file} is damaged (${(err as Error).message}); enrolling with the enrollment token`);
      return null;
    }
  }

  /** Store the credential of node `name` (mode 0600, written atomically). */
  async save(name: string, credential: string): Promise<void> {
    const tmp = `${this.file}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ name, credential }) + '\n', { mode: 0o600 });
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, this.file);
  }

  async remove(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}
