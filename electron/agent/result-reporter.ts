/**
 * Reports finished runs to the head (each run on its own): sends job-finished until the head answers with result-ack,
 * carries the small result files inline when the head takes them, uploads again the files it
 * reports missing, and then releases the run (recent list, run
 * directory removed, state saved with the agent's next save). A run killed on purpose is handed back instead. The report survives both sides restarting: the run stays in
 * agent-state.json as 'finished' until acknowledged, and every welcome sends it again.
 */
import { EventEmitter } from 'node:events';
import type { HeadMessage, InlineFile, ResultFile } from '../../shared/protocol/index.ts';
import { runKey, runMs, runRef, type AgentStore, type PersistedRun } from './agent-store.ts';
import type { Clock } from './clock.ts';
import type { HeadLink } from './head-link.ts';

type ResultAck = Extract<HeadMessage, { type: 'result-ack' }>;

/** How long to wait for a result-ack before sending job-finished again. */
const ACK_TIMEOUT_MS = 30_000;
/** How many times files the head reports missing are uploaded again before giving up. */
const MISSING_ROUNDS = 5;

/** What the reporter works with. */
export interface ResultReporterDeps {
  store: AgentStore;
  /** The agent's link to the head. */
  link: Pick<HeadLink, 'send' | 'connected'>;
  /** Uploads the given result paths of `run` again (the agent's file transfer). */
  upload(run: PersistedRun, only: Set<string>): Promise<ResultFile[]>;
  /** The bytes of `run`'s result files `paths`, for a report that carries them inline. */
  readInline(run: PersistedRun, paths: string[]): InlineFile[];
  /** Whether the head of the moment takes inline result files (its welcome said so). */
  inlineAccepted(): boolean;
  /** Removes the run's working directory (its logs). */
  removeRunDir(run: PersistedRun): Promise<void>;
  clock: Clock;
}

/** Events of a {@link ResultReporter}. */
export interface ResultReporterEvents {
  /** A run left the agent (acknowledged or handed back): the snapshot changed. */
  changed: [];
}

/** The agent's outstanding job-finished reports (one per finished run) and the waits for their acknowledgements. */
export class ResultReporter extends EventEmitter<ResultReporterEvents> {
  /** Per run (runKey): the wait for its result-ack. */
  private readonly ackWaiters = new Map<string, (m: ResultAck) => void>();
  /** Per run: re-sends the job-finished that `report()` waits an answer for. */
  private readonly resenders = new Map<string, () => boolean>();

  constructor(private readonly host: ResultReporterDeps) {
    super();
  }

  /** A result-ack arrived from the head. */
  onAck(m: ResultAck): void {
    this.ackWaiters.get(runKey(m))?.(m);
  }

  /** A new connection was welcomed while `run` (finished) waits to be reported. */
  onWelcome(run: PersistedRun): void {
    const key = runKey(runRef(run));
    const resend = this.resenders.get(key);
    if (resend) resend();
    else if (!this.ackWaiters.has(key)) void this.report(run);
  }

  /**
   * The job was killed on purpose (paused past the maximum, agent stopping): give it back to the
   * head, which re-queues it, instead of reporting a result.
   */
  async handBack(run: PersistedRun, reason: string): Promise<void> {
    const { store } = this.host;
    const endedAt = this.host.clock.now();
    this.host.link.send({ type: 'job-rejected', ...runRef(run), reason });
    store.addRecent({ batch: run.batch.name, job: run.spec.name, outcome: 'handed back', endedAt, runMs: runMs(run, endedAt) });
    store.drop(run);
    await this.host.removeRunDir(run);
    await store.save();
    this.emit('changed');
  }

  /** Send job-finished until the head acknowledges; re-upload files it reports missing. */
  async report(run: PersistedRun): Promise<void> {
    if (run.state.phase !== 'finished') return;
    const fin = run.state.finished;
    const { store } = this.host;
    const ref = runRef(run);
    const key = runKey(ref);
    const held = () => store.state.runs.includes(run);
    const forget = () => {
      this.ackWaiters.delete(key);
      this.resenders.delete(key);
    };
    for (let round = 0; round < MISSING_ROUNDS;) {
      // Files kept for an inline report go up as uploads to a head that does not take them (an
      // older head after a restart).
      if (fin.inline?.length && !this.host.inlineAccepted()) {
        await this.host.upload(run, new Set(fin.inline));
        delete fin.inline;
      }
      const ack = await new Promise<ResultAck | null>((resolve) => {
        const send = () => {
          const inline = fin.inline?.length ? this.host.readInline(run, fin.inline) : [];
          return this.host.link.send({
            type: 'job-finished', ...ref, result: fin.result, startedAt: run.startedAt, endedAt: fin.endedAt, runMs: fin.runMs, files: fin.files,
            ...(fin.skipped?.length ? { skipped: fin.skipped } : {}), ...(inline.length ? { inline } : {}),
          });
        };
        const timer = this.host.clock.setTimeout(() => { forget(); resolve(null); }, ACK_TIMEOUT_MS);
        this.ackWaiters.set(key, (m) => {
          this.host.clock.clearTimeout(timer);
          forget();
          // Free the run's share now, in the message handler: the head may send the next assign
          // in the same network read, before this promise's continuation runs.
          if (m.status !== 'missing-files') store.drop(run);
          resolve(m);
        });
        // A head that restarted after receiving job-finished never answers it: the welcome of
        // the new connection sends it again through this.
        this.resenders.set(key, send);
        if (!send()) {
          // Not connected: the welcome of the next connection triggers report() again.
          this.host.clock.clearTimeout(timer);
          forget();
          resolve(null);
        }
      });
      if (!ack) {
        if (this.host.link.connected && held()) continue; // no answer: ask again
        return;
      }
      if (ack.status === 'missing-files') {
        round++;
        // Asked again: uploaded now, never inline again (the head refused or lost those bytes).
        const missing = new Set(ack.missing ?? []);
        if (fin.inline) fin.inline = fin.inline.filter((p) => !missing.has(p));
        await this.host.upload(run, missing);
        continue;
      }
      store.addRecent({ batch: run.batch.name, job: run.spec.name, outcome: ack.status === 'archived' ? fin.result.outcome : 'discarded', endedAt: fin.endedAt, runMs: fin.runMs });
      store.drop(run);
      await this.host.removeRunDir(run);
      // Forgotten on disk with the next save (at most 250 ms later): a restart before that reports
      // the run again, and the head answers as before (archived, or discarded).
      store.saveSoon();
      this.emit('changed');
      return;
    }
  }
}
