/**
 * The `meta` section (who, where in the archive, what a node needs) and the `slurm` settings, which
 * appear batch-wide at the top level and per job.
 */
import { unsafeLabelReason } from '../names.ts';
import type { Meta, Request, Resources, SlurmSettings } from './types.ts';
import type { Reporter, YamlPath } from './reporter.ts';
import {
  isAbsent, nonNegativeInt, positive, positiveInt, readBoolean, readList, readMap, readName, readNumber,
  readOptionalString, readString,
} from './read-values.ts';

export const META_KEYS = ['batch_name', 'namespace', 'matrix', 'capabilities', 'description', 'resources', 'request', 'max_retries', 'share'] as const;

/** Who may read a batch's jobs, logs and files: `private` (its owner and admins; the default) or `lab` (every user). */
export const SHARE_VALUES = ['private', 'lab'] as const;
export const RESOURCE_KEYS = ['cpus', 'memory_gb', 'gpus', 'gpu_memory_gb'] as const;
export const REQUEST_KEYS = ['cpus', 'memory_gb', 'gpus'] as const;
export const SLURM_KEYS = [
  'job_name', 'output', 'nodes', 'ntasks', 'cpus_per_task', 'mem_per_cpu', 'hint', 'time', 'partition',
  'account', 'mail_user', 'mail_type', 'gres', 'gpus', 'constraint', 'exclusive',
] as const;
const SLURM_COUNTS = new Set(['nodes', 'ntasks', 'cpus_per_task']);

/** Upper bound for `max_retries`: a job that failed 100 times will not succeed on the 101st. */
export const MAX_RETRIES_LIMIT = 100;

/** Reads `meta`; undefined when anything in it is wrong (problems are recorded). */
export function readMeta(r: Reporter, value: unknown): Meta | undefined {
  const path: YamlPath = ['meta'];
  const map = readMap(r, path, value, META_KEYS, ['batch_name', 'namespace', 'capabilities']);
  if (!map) return undefined;
  const before = r.problems.length;
  const batchName = 'batch_name' in map ? readName(r, [...path, 'batch_name'], map.batch_name, 'batch_name') : undefined;
  const namespace = 'namespace' in map ? readName(r, [...path, 'namespace'], map.namespace, 'namespace') : undefined;
  const matrix = readOptionalString(r, [...path, 'matrix'], map.matrix);
  if (matrix !== undefined && !/^@[^:\s]+:\S+$/.test(matrix)) {
    r.add([...path, 'matrix'], `expected a Matrix user id like '@user:matrix.org', got '${matrix}'`);
  }
  const description = readOptionalString(r, [...path, 'description'], map.description);
  let capabilities: string[] | undefined;
  if ('capabilities' in map) {
    if (map.capabilities === null) {
      r.add([...path, 'capabilities'], 'expected a list of strings (write [] for none), got nothing (null)');
    } else {
      capabilities = readList(r, [...path, 'capabilities'], map.capabilities, 'strings', (p, v) => {
        const tag = readString(r, p, v);
        if (tag !== undefined && tag.trim() === '') {
          r.add(p, 'capability must not be empty');
          return undefined;
        }
        // A capability is matched against node tags, which are labels (shared/names.ts).
        const bad = tag === undefined ? null : unsafeLabelReason(tag);
        if (bad) {
          r.add(p, `capability ${bad}`);
          return undefined;
        }
        return tag;
      });
    }
  }
  const resources = isAbsent(map.resources) ? {} : readResources(r, [...path, 'resources'], map.resources);
  const request = isAbsent(map.request) ? undefined : readRequest(r, [...path, 'request'], map.request);
  let maxRetries = 0;
  if (!isAbsent(map.max_retries)) {
    maxRetries = readNumber(r, [...path, 'max_retries'], map.max_retries,
      (n) => nonNegativeInt(n) && n <= MAX_RETRIES_LIMIT, `an integer from 0 to ${MAX_RETRIES_LIMIT}`) ?? 0;
  }
  let share: Meta['share'];
  if (!isAbsent(map.share)) {
    const value = readString(r, [...path, 'share'], map.share);
    if (value !== undefined && !(SHARE_VALUES as readonly string[]).includes(value)) r.add([...path, 'share'], `expected private or lab, got '${value}'`);
    else share = value as Meta['share'];
  }
  if (r.problems.length > before || batchName === undefined || namespace === undefined
    || capabilities === undefined || resources === undefined || (!isAbsent(map.request) && request === undefined)) return undefined;
  const meta: Meta = { batch_name: batchName, namespace, capabilities, resources, max_retries: maxRetries };
  if (matrix !== undefined) meta.matrix = matrix;
  if (description !== undefined) meta.description = description;
  if (share !== undefined) meta.share = share;
  if (request !== undefined) meta.request = request;
  return meta;
}

function readResources(r: Reporter, path: YamlPath, value: unknown): Resources | undefined {
  const map = readMap(r, path, value, RESOURCE_KEYS);
  if (!map) return undefined;
  const out: Resources = {};
  let ok = true;
  for (const key of RESOURCE_KEYS) {
    if (isAbsent(map[key])) continue;
    const n = key === 'gpus'
      ? readNumber(r, [...path, key], map[key], nonNegativeInt, 'a non-negative integer')
      : readNumber(r, [...path, key], map[key], positive, 'a positive number');
    if (n === undefined) ok = false;
    else out[key] = n;
  }
  return ok ? out : undefined;
}

/**
 * Reads a `request:` map (`meta.request` or a job's own): whole cores, memory in GiB, whole GPUs.
 * An empty map is a request of one core.
 */
export function readRequest(r: Reporter, path: YamlPath, value: unknown): Request | undefined {
  const map = readMap(r, path, value, REQUEST_KEYS);
  if (!map) return undefined;
  const out: Request = {};
  let ok = true;
  for (const key of REQUEST_KEYS) {
    if (isAbsent(map[key])) continue;
    const n = key === 'memory_gb'
      ? readNumber(r, [...path, key], map[key], positive, 'a positive number of GiB')
      : key === 'cpus'
        ? readNumber(r, [...path, key], map[key], positiveInt, 'a positive whole number of cores')
        : readNumber(r, [...path, key], map[key], nonNegativeInt, 'a whole number of GPUs (0 or more)');
    if (n === undefined) ok = false;
    else out[key] = n;
  }
  return ok ? out : undefined;
}

/** Reads a `slurm:` map (top level or per job). */
export function readSlurm(r: Reporter, path: YamlPath, value: unknown): SlurmSettings | undefined {
  const map = readMap(r, path, value, SLURM_KEYS);
  if (!map) return undefined;
  const out: Record<string, string | number | boolean> = {};
  let ok = true;
  for (const key of SLURM_KEYS) {
    if (isAbsent(map[key])) continue;
    const got = key === 'exclusive'
      ? readBoolean(r, [...path, key], map[key])
      : SLURM_COUNTS.has(key)
        ? readNumber(r, [...path, key], map[key], positiveInt, 'a positive integer')
        : readString(r, [...path, key], map[key]);
    if (got === undefined) ok = false;
    else out[key] = got;
  }
  return ok ? (out as SlurmSettings) : undefined;
}
