/**
 * The head's Matrix credentials (`distribute server --matrix-config FILE`): which homeserver, which
 * account sends the notifications, and how it authenticates (an access token, or a password the
 * head logs in with and uses again whenever the server forgets the token).
 *
 * The file is YAML or JSON (JSON is YAML, so one parser reads both):
 * ```yaml
 * homeserver: https://matrix.example.org
 * user_id: "@distribute-bot:example.org"
 * access_token: syt_...      # or: password: ...
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** A Matrix user id: `@localpart:server` (server may carry a port). */
export const MATRIX_USER_ID = /^@[^:\s]+:[A-Za-z0-9.-]+(:\d{1,5})?$|^@[^:\s]+:\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const MatrixConfigSchema = z.object({
  homeserver: z.string({ error: 'is required (the base URL of the homeserver, e.g. https://matrix.example.org)' })
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL, e.g. https://matrix.example.org'),
  user_id: z.string({ error: 'is required (the account that sends notifications, e.g. "@distribute:example.org")' })
    .regex(MATRIX_USER_ID, 'must be a full Matrix user id like "@distribute:example.org" (in YAML, put it in quotes)'),
  access_token: z.string().min(1, 'must not be empty').optional(),
  password: z.string().min(1, 'must not be empty').optional(),
  /** Reuse one device across restarts so logins do not pile up devices on the account. */
  device_id: z.string().min(1, 'must not be empty').optional(),
}).strict();

const NEEDS_SECRET = 'needs either access_token or password (a password lets the head log in again when the token expires)';

/** Validated Matrix credentials; `homeserver` has no trailing slash. */
export interface MatrixConfig {
  homeserver: string;
  userId: string;
  accessToken?: string;
  password?: string;
  deviceId?: string;
}

/** A loaded config, or every problem found, each naming the file and the key. */
export type MatrixConfigResult = { ok: true; config: MatrixConfig } | { ok: false; error: string };

/** Validates the text of a Matrix config file; `source` names the file in error messages. */
export function parseMatrixConfig(text: string, source: string): MatrixConfigResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `  - ${e.message.split('\n')[0]}`).join('\n');
    return { ok: false, error: `${source}: not valid YAML or JSON:\n${problems}` };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: `${source}: expected a mapping with homeserver, user_id and access_token or password` };
  }
  const record = raw as Record<string, unknown>;
  // Checked outside the schema so it is reported together with the other problems (zod skips
  // refinements of an object that already failed).
  const missingSecret = record.access_token === undefined && record.password === undefined;
  const parsed = MatrixConfigSchema.safeParse(raw);
  if (!parsed.success || missingSecret) {
    const problems = (parsed.error?.issues ?? []).map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : undefined;
      if (issue.code === 'unrecognized_keys') {
        return `  - unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (allowed: homeserver, user_id, access_token, password, device_id)`;
      }
      if (issue.code === 'invalid_type' && key !== undefined && record[key] !== undefined) {
        return `  - ${key}: must be a string (quote it in YAML)`;
      }
      return key !== undefined ? `  - ${key}: ${issue.message}` : `  - ${issue.message}`;
    });
    if (missingSecret) problems.push(`  - ${NEEDS_SECRET}`);
    return { ok: false, error: `${source}: invalid Matrix config:\n${problems.join('\n')}` };
  }
  const value = parsed.data;
  return {
    ok: true,
    config: {
      homeserver: value.homeserver.replace(/\/+$/, ''),
      userId: value.user_id,
      accessToken: value.access_token,
      password: value.password,
      deviceId: value.device_id,
    },
  };
}

/** Reads and validates a Matrix config file (`--matrix-config FILE`). Never throws. */
export async function loadMatrixConfig(path: string): Promise<MatrixConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : (err as Error).message;
    return { ok: false, error: `cannot read Matrix config ${path}: ${why}` };
  }
  return parseMatrixConfig(text, path);
}
