/**
 * Reports a finished run to the head: sends job-finished until the head answers with result-ack,
 * uploads again the files it reports missing, and then releases the run (recent list, run
 * directory removed, state saved). A run killed on purpose is handed back instead. The report survives both sides restarting: the run stays in
 * agent-state.json as 'finished' until acknowledged, and every welcome sends it again.
 */
import type { AgentMessage, HeadMessage, ResultFile } from '../../shared/protocol/index.ts';
import { runMs, runRef, type AgentStore, type PersistedRun } from './agent-store.ts';

type ResultAck = Extract<HeadMessage, { type: 'result-ack' }>;

/** How long to wait for a result-ack before sending job-finished again. */
const ACK_TIMEOUT_MS = 30_000;
/** How many times files the head reports missing are uploaded again before giving up. */
const MISSING_ROUNDS = 5;

/** What the reporter needs from the agent. */
export interface ResultReporterHost {
  store: AgentStore;
  /** Sends to the head; false when not connected. */
  send(m: AgentMessage): boolean;
  connected(): boolean;
  /** Uploads the given result paths of `run` again. */
  upload(run: PersistedRun, only: Set<string>): Promise<ResultFile[]>;
  /** Removes the run's working directory (its logs). */
  removeRunDir(run: PersistedRun): Promise<void>;
  /** The snapshot changed. */
  changed(): void;
}

/** The agent's single outstanding job-finished and the wait for its acknowledgement. */
export class ResultReporter {
  private ackWaiter: ((m: ResultAck) => void) | null = null;
  /** Re-sends the job-finished that `report()` waits an answer for. */
  private resendReport: (() => boolean) | null = null;

  constructor(private readonly host: ResultReporterHost) {}

  /** A result-ack arrived from the head. */
  onAck(m: ResultAck): void {
    this.ackWaiter?.(m);
  }

  /** A new connection was welcomed while `run` (finished) waits to be reported. */
  onWelcome(run: PersistedRun): void {
    if (this.resendReport) this.resendReport();
    else if (!this.ackWaiter) void this.report(run);
  }

  /**
   * The job was killed on purpose (paused past the maximum, agent stopping): give it back to the
   * head, which re-queues it, instead of reporting a result.
   */
  async handBack(run: PersistedRun, reason: string): Promise<void> {
    const { store } = this.host;
    const endedAt = Date.now();
    this.host.send({ type: 'job-rejected', ...runRef(run), reason });
    store.addRecent({ batch: run.batch.name, job: run.spec.name, outcome: 'handed back', endedAt, runMs: runMs(run, endedAt) });
    store.state.run = null;
    await this.host.removeRunDir(run);
    await store.save();
    this.host.changed();
  }

  /** Send job-finished until the head acknowledges; re-upload files it reports missing. */
  async report(run: PersistedRun): Promise<void> {
    const fin = run.finished;
    if (!fin) return;
    const { store } = this.host;
    const ref = runRef(run);
    for (let round = 0; round < MISSING_ROUNDS;) {
      const ack = await new Promise<ResultAck | null>((resolve) => {
        const send = () => this.host.send({ type: 'job-finished', ...ref, result: fin.result, startedAt: run.startedAt, endedAt: fin.endedAt, runMs: fin.runMs, files: fin.files, ...(fin.skipped?.length ? { skipped: fin.skipped } : {}) });
        const timer = setTimeout(() => { this.ackWaiter = null; this.resendReport = null; resolve(null); }, ACK_TIMEOUT_MS);
        this.ackWaiter = (m) => {
          if (m.runId !== ref.runId) return;
          clearTimeout(timer);
          this.ackWaiter = null;
          this.resendReport = null;
          // Free the node now, in the message handler: the head may send the next assign in the
          // same network read, before this promise's continuation runs.
          if (m.status !== 'missing-files' && store.state.run === run) store.state.run = null;
          resolve(m);
        };
        // A head that restarted after receiving job-finished never answers it: the welcome of
        // the new connection sends it again through this.
        this.resendReport = send;
        if (!send()) {
          // Not connected: the welcome of the next connection triggers report() again.
          clearTimeout(timer);
          this.ackWaiter = null;
          this.resendReport = null;
          resolve(null);
        }
      });
      if (!ack) {
        if (this.host.connected() && store.state.run === run) continue; // no answer: ask again
        return;
      }
      if (ack.status === 'missing-files') {
        round++;
        await this.host.upload(run, new Set(ack.missing ?? []));
        continue;
      }
      store.addRecent({ batch: run.batch.name, job: run.spec.name, outcome: ack.status === 'archived' ? fin.result.outcome : 'discarded', endedAt: fin.endedAt, runMs: fin.runMs });
      if (store.state.run === run) store.state.run = null;
      await this.host.removeRunDir(run);
      await store.save();
      this.host.changed();
      return;
    }
  }
}
