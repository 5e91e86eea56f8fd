/**
 * Forwards a running job's output to the head as `job-log` messages: output is gathered for
 * `intervalMs` and sent in chunks well below the protocol's message limit, so a noisy job costs a
 * few messages a second, not one per line.
 */
import type { AgentMessage } from '../../shared/protocol/messages.ts';

const CHUNK = 256 * 1024;

export interface LogTarget { runId: string }

export class LogForwarder {
  private buffer = { stdout: '', stderr: '' };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (m: AgentMessage) => void,
    /** The run the output belongs to now (null: drop it). */
    private readonly target: () => LogTarget | null,
    private readonly intervalMs = 200,
  ) {}

  push(stream: 'stdout' | 'stderr', chunk: string): void {
    this.buffer[stream] += chunk;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        const t = this.target();
        if (t) this.flush(t);
      }, this.intervalMs);
    }
  }

  flush(t: LogTarget): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      let data = this.buffer[stream];
      this.buffer[stream] = '';
      while (data.length) {
        const part = data.slice(0, CHUNK);
        data = data.slice(part.length);
        this.send({ type: 'job-log', runId: t.runId, stream, data: part });
      }
    }
  }
}
