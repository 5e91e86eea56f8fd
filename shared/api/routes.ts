/**
 * Every HTTP path, written once: the head's routes (CLI, tray, dashboard, agents) and the agent's
 * local control endpoint (`distribute pause|resume`, the tray, the status page). Every route but
 * `/api/health` and the two pages needs `Authorization: Bearer <token>`. Bodies: ./head-api.ts and
 * ./control-api.ts.
 */
export const AGENT_WS_PATH = '/api/agent/ws';
/** The user event stream (server-sent events; see head/http/routes/events.ts). */
export const EVENTS_PATH = '/api/events';

const enc = encodeURIComponent;
/** Encode a relative file path segment by segment (keeps `/`). */
export const encPath = (p: string) => p.split('/').map(enc).join('/');

export const routes = {
  health: () => '/api/health',
  whoami: () => '/api/whoami',
  status: () => '/api/status',
  /** Jobs held per node over the last hour (the dashboard's chart). */
  activity: () => '/api/activity',
  nodes: () => '/api/nodes',
  nodePause: (name: string) => `/api/nodes/${enc(name)}/pause`,
  nodeResume: (name: string) => `/api/nodes/${enc(name)}/resume`,
  /** DELETE: revoke and forget a node (admin). */
  node: (name: string) => `/api/nodes/${enc(name)}`,
  /** POST: replace the agent enrollment token (admin). */
  enrollmentRotate: () => '/api/enrollment-token/rotate',
  users: () => '/api/users',
  batches: () => '/api/batches',
  /** `ref` is a batch id or `namespace/name`, or a bare name when unique. */
  batch: (ref: string) => `/api/batches/${enc(ref)}`,
  batchSubmit: (id: string) => `/api/batches/${enc(id)}/submit`,
  batchKill: (ref: string) => `/api/batches/${enc(ref)}/kill`,
  batchRetry: (ref: string) => `/api/batches/${enc(ref)}/retry`,
  batchArchive: (ref: string) => `/api/batches/${enc(ref)}/archive`,
  batchManifest: (ref: string) => `/api/batches/${enc(ref)}/manifest`,
  batchFile: (ref: string, job: string, path: string) => `/api/batches/${enc(ref)}/files/${enc(job)}/${encPath(path)}`,
  /**
   * POST `{ files: [{ job, path }] }`: those archived files in one answer, a file stream
   * (shared/file-stream.ts) in the order asked.
   */
  batchFileStream: (ref: string) => `/api/batches/${enc(ref)}/file-stream`,
  jobLogs: (ref: string, job: string) => `/api/batches/${enc(ref)}/jobs/${enc(job)}/logs`,
  input: (sha256: string) => `/api/inputs/${sha256}`,
  agentInput: (sha256: string) => `/api/agent/inputs/${sha256}`,
  /** A result file of one run, staged until the run's report is accepted (needs {@link RUN_KEY_HEADER}). */
  agentResult: (runId: string, path: string) => `/api/agent/runs/${enc(runId)}/results/${encPath(path)}`,
  /**
   * POST a file stream (shared/file-stream.ts) of result files of one run into its staging, all in
   * one request (needs {@link RUN_KEY_HEADER}); answered with the files stored.
   */
  agentResultStream: (runId: string) => `/api/agent/runs/${enc(runId)}/result-stream`,
} as const;

/** The agent's local control endpoint on 127.0.0.1 (electron/agent/control-server.ts). */
export const controlRoutes = {
  /** The status page (HTML; reads its token from `?token=`). */
  page: () => '/',
  state: () => '/api/state',
  pause: () => '/api/pause',
  resume: () => '/api/resume',
} as const;

/** A sha256 digest as routes, headers and specs carry it: 64 lowercase hex digits. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Header carrying the sha256 of an uploaded body; the head verifies it. */
export const SHA256_HEADER = 'x-distribute-sha256';

/** Header carrying a run's key on result uploads (see shared/job/run-id.ts). */
export const RUN_KEY_HEADER = 'x-distribute-run-key';
