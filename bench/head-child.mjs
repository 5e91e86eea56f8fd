/**
 * A head in its own process for benchmarks, so its CPU time, memory and writes can be measured
 * apart from the load generator. Plain JavaScript over the compiled head (`dist/`, what
 * `distribute server` runs; `npm run bench` builds it when stale), so the measured process holds
 * no TypeScript loader (under tsx the head of a 2,000-job run peaked at 165 MiB, this one at
 * 127 MiB).
 * Talks to the parent over IPC:
 *   → {type: 'ready', url, adminToken, agentToken}
 *   ← {type: 'stats'}  → HeadChildStats (bench/scheduler-scale.ts)
 *   ← {type: 'reset-delay'}  restarts the event-loop delay histogram
 *   ← {type: 'close'}  → closes the head (flushing the store), answers with final stats, exits
 * Started with argv `<dataDir>`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startHead } from '../dist/head/server.js';

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  process.stderr.write('usage: fork bench/head-child.mjs <dataDir> (with an IPC channel)\n');
  process.exit(2);
}
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
// Every simulated agent connects from 127.0.0.1: lift the per-address connection cap (default 64).
const head = await startHead({ dataDir, port: 0, nodeTimeoutMs: 60_000, heartbeatMs: 5_000, maxConnectionsPerAddress: 100_000, log: () => {} });
process.send({ type: 'ready', url: head.url, adminToken: head.adminToken, agentToken: head.agentToken });

function stats() {
  const cpu = process.cpuUsage();
  return {
    type: 'stats',
    storeBytes: head.store.bytesWritten(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    userSeconds: cpu.user / 1e6,
    systemSeconds: cpu.system / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  };
}

process.on('message', (msg) => {
  if (msg.type === 'stats') {
    process.send(stats());
  } else if (msg.type === 'reset-delay') {
    delay.reset();
  } else if (msg.type === 'close') {
    // The final stats include the store's last coalesced flush.
    void head.close().then(() => process.send(stats(), () => process.exit(0)));
  }
});
