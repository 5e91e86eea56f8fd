/**
 * The head's cluster model, wired together: batches with their jobs, nodes with what they hold,
 * and every change to them. This class only builds the parts, loads the state at start-up and
 * reconciles it; agent sessions, HTTP routes and timers call the parts directly:
 *
 * - `book` (batch-book.ts): batches, lookup, the one place a job changes (`transition()`), the end
 *   of a batch;
 * - `commands` (batch-commands.ts): create, submit, kill, retry, remove a batch;
 * - `registry` (node-registry.ts): nodes and their presence, hello, pause, the wait after a restart;
 * - `nodeLoss` (node-loss.ts): nodes silent past the timeout, removed or forgotten;
 * - `reports` (run-reports.ts): what agents report about a run (start, pause, output, hand-back);
 * - `finisher` (finish-run.ts): finished runs and the archive;
 * - `builds` (build-failures.ts): build successes and failures;
 * - `dispatch` (dispatch.ts): scheduling and assignment;
 * - `users` (users.ts) and `enrollment` (enrollment.ts): who may connect.
 */
import type { Archive } from '../archive/archive.ts';
import type { Store } from '../store/store.ts';
import type { MetaDoc, RunRecord } from '../state/types.ts';
import { isActive } from '../../shared/job/state.ts';
import { newRunId } from '../../shared/job/run-id.ts';
import { HeadEventBus } from './events.ts';
import { LiveLogs } from './live-logs.ts';
import { ActivityLog } from './activity.ts';
import { BatchBook } from './batch-book.ts';
import { BatchCommands } from './batch-commands.ts';
import { BuildFailures } from './build-failures.ts';
import { Dispatch } from './dispatch.ts';
import { Enrollment } from './enrollment.ts';
import { RunFinisher } from './finish-run.ts';
import { linkOf } from './live-node.ts';
import { migrateLegacyRuns } from './migrate-runs.ts';
import { NodeLoss } from './node-loss.ts';
import { NodeRegistry } from './node-registry.ts';
import { DEFAULT_MAX_HAND_BACKS, RunReports } from './run-reports.ts';
import { RunLeases } from './run-leases.ts';
import { Users } from './users.ts';

export type { AgentLink, Sender } from './live-node.ts';
export type { FinishedRun } from './finish-run.ts';
export { DEFAULT_MAX_HAND_BACKS } from './run-reports.ts';

export interface ClusterOptions {
  store: Store;
  archive: Archive;
  now?: () => number;
  newId?: () => string;
  /** Draws run ids (default: random, see shared/job/run-id.ts). */
  newRunId?: () => string;
  /** A node silent this long is lost and its jobs re-queued. */
  nodeTimeoutMs: number;
  heartbeatMs: number;
  /** A job handed back or rejected this many times is failed (default {@link DEFAULT_MAX_HAND_BACKS}). */
  maxHandBacks?: number;
  log?: (line: string) => void;
  /**
   * Why no new job may be assigned now (the archive disk is full or below --min-free-disk, counting
   * `pendingBytes` of results that exited runs still upload), or null. Finished results are still
   * accepted meanwhile.
   */
  assignHold?: (pendingBytes: number) => string | null;
  /** A write into the archive failed for lack of space. */
  diskFull?: () => void;
}

export class Cluster {
  readonly events = new HeadEventBus();
  /** Output of running jobs from their first line (`logs`, `logs --follow`, the dashboard). */
  readonly logs = new LiveLogs(this.events);
  /** Jobs held per node over the last hour (the dashboard's chart); sampled by the server. */
  readonly activity = new ActivityLog();
  /** Users, node records and credentials, as stored (replaced by {@link init}). */
  meta: MetaDoc = { users: [], nodes: [], credentials: [] };
  /** Which connection may speak for which run (see run-leases.ts). */
  readonly leases: RunLeases;
  readonly book: BatchBook;
  readonly registry: NodeRegistry;
  readonly commands: BatchCommands;
  readonly reports: RunReports;
  readonly finisher: RunFinisher;
  readonly builds: BuildFailures;
  readonly dispatch: Dispatch;
  readonly nodeLoss: NodeLoss;
  readonly users: Users;
  readonly enrollment: Enrollment;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ClusterOptions) {
    const now = this.now = opts.now ?? Date.now;
    const newId = opts.newId ?? (() => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
    const log = this.log = opts.log ?? (() => {});
    const { store, archive } = opts;
    const events = this.events;
    const leases = this.leases = new RunLeases(log);
    const scheduleSoon = () => this.dispatch.scheduleSoon();
    const meta = () => this.meta;
    const saveMetaNow = () => store.saveMetaNow(this.meta);
    const book = this.book = new BatchBook({ store, events, now, log });
    const registry = this.registry = new NodeRegistry({
      book, leases, events, now, log, nodeTimeoutMs: opts.nodeTimeoutMs, heartbeatMs: opts.heartbeatMs,
      saveRecords: (records) => {
        this.meta.nodes = records;
        store.touchMeta(this.meta);
      },
      scheduleSoon,
    });
    const nodes = registry.nodes;
    this.commands = new BatchCommands({ book, store, archive, nodes, leases, now, newId, scheduleSoon, events });
    this.reports = new RunReports({ book, leases, nodes, events, logs: this.logs, archive, now, log, scheduleSoon, maxHandBacks: opts.maxHandBacks ?? DEFAULT_MAX_HAND_BACKS });
    this.finisher = new RunFinisher({ book, archive, events, leases, nodes, now, log, scheduleSoon, diskFull: opts.diskFull });
    this.builds = new BuildFailures({ book, registry, leases, store, now, log, scheduleSoon });
    this.dispatch = new Dispatch({
      book, registry, leases, store, events, now, log, newRunId: opts.newRunId ?? newRunId, assignHold: opts.assignHold,
      pendingResultBytes: () => this.reports.pendingResultBytes(),
    });
    this.users = new Users({ meta, saveMetaNow, now });
    this.enrollment = new Enrollment({ meta, saveMetaNow, now, log });
    this.nodeLoss = new NodeLoss({ registry, enrollment: this.enrollment, meta, saveMetaNow, now, log, nodeTimeoutMs: opts.nodeTimeoutMs });
    // Agents may drop the inputs of a batch that ended.
    events.on('batch:ended', (e) => {
      // After the current message is answered: the agent that ran the last job must get its
      // result-ack first, or it would still hold the batch and keep its files.
      setImmediate(() => {
        for (const n of nodes.values()) linkOf(n)?.send({ type: 'forget-batch', batchId: e.batchId });
      });
      // Every job is done: no run's uploads are wanted any more (losers that never reported).
      void archive.discardStaging(e.batchId).catch(() => {});
    });
  }

  // ---- startup -------------------------------------------------------------------------------

  /**
   * Load state and reconcile it with the run journal (runs assigned just before a crash) and the
   * archive (results written just before a crash). A data folder of version 0.1 is migrated.
   */
  async init(): Promise<void> {
    const loaded = await this.opts.store.load();
    this.meta = loaded.meta;
    this.enrollment.load();
    this.leases.load(loaded.runs);
    this.registry.restore(this.meta.nodes, this.leases.lastRunAt());
    const migrated: RunRecord[] = [];
    for (const doc of loaded.batches) {
      if (doc.record.phase === 'uploading') continue; // never acknowledged
      const legacy = await migrateLegacyRuns(doc, this.opts.archive, this.now());
      migrated.push(...legacy.runs);
      this.book.batches.set(doc.record.id, doc);
      for (const i of legacy.changed) this.book.setJob(doc, i, doc.jobs[i]);
      // The journal is durable, the job states are not: an attempt number once handed out is
      // never handed out again, even if the crash lost the job's own count.
      const attempts = this.leases.attempts(doc.record.id);
      doc.jobs.forEach((job, i) => {
        const seen = attempts.get(job.name) ?? 0;
        if (seen > job.attempts) this.book.setJob(doc, i, { ...job, attempts: seen });
      });
      await this.book.recoverFromArchive(doc, this.opts.archive);
      for (const i of this.book.index(doc).activePositions()) {
        const s = doc.jobs[i].status;
        const node = isActive(s) ? this.registry.nodes.get(s.node) : undefined;
        if (node && isActive(s)) node.runs.set(s.runId, { runId: s.runId, batchId: doc.record.id, job: doc.jobs[i].name, attempt: s.attempt });
      }
      this.book.checkEnd(doc);
    }
    if (migrated.length) {
      await this.opts.store.recordRuns(migrated);
      this.leases.load(migrated);
      this.log(`migrated ${migrated.length} run(s) of a version 0.1 data folder to run ids`);
    }
    await this.dropStaleStaging();
  }

  /**
   * Staging of batches that are gone, and of runs the journal does not know, is never committed.
   * A head of before 2026-11-30 staged each run in a folder per job (`<batch>/<job>/<runId>/`):
   * the runs the journal knows move to their folder of today (archive.ts), so an upload made
   * before the upgrade still counts; the rest goes.
   */
  private async dropStaleStaging(): Promise<void> {
    const archive = this.opts.archive;
    const runOf = (id: string, runId: string, job?: string) => {
      const lease = this.leases.get(runId);
      return lease !== undefined && lease.batchId === id && (job === undefined || lease.job === job);
    };
    for (const id of await archive.stagedBatchIds()) {
      const doc = this.book.batches.get(id);
      if (!doc || doc.record.phase === 'ended') {
        await archive.discardStaging(id);
        continue;
      }
      for (const name of await archive.stagedNames(id)) {
        if (runOf(id, name)) continue;
        for (const runId of await archive.stagedNames(id, name)) {
          if (runOf(id, runId, name)) await archive.adoptLegacyStaging(id, name, runId);
        }
        await archive.discardStaging(id, name);
      }
    }
  }

  /**
   * The head accepts connections from now on: the wait for the nodes of before a restart counts
   * from here, not from init (see NodeRegistry.listening).
   */
  listening(): void {
    this.registry.listening(this.now());
  }
}
