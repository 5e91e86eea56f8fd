/**
 * SIGINT and SIGTERM for the long-running commands (agent, server, up). bin/distribute.js holds
 * them from its first line; `holdStopSignals()` takes over first thing in main.ts, before any
 * command module loads (which takes a while). A stop signal
 * that arrives meanwhile is held, not fatal, and the command acts on it as soon as it can; an agent
 * SIGTERMed in its first second still hands its job back. A second signal while the first is
 * being handled ends the process the default way.
 */
const LONG_RUNNING = new Set(['agent', 'server', 'up']);
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

let received: NodeJS.Signals | null = null;
let holding = false;
const waiters: Array<(signal: NodeJS.Signals) => void> = [];

function onSignal(signal: NodeJS.Signals): void {
  if (received) {
    // Asked twice: stop waiting for the clean shutdown.
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
    return;
  }
  received = signal;
  for (const w of waiters.splice(0)) w(signal);
}

/** What bin/distribute.js held before this module loaded (its first lines). */
type EarlyHold = NodeJS.Signals[] & { release?: () => void };
const EARLY = Symbol.for('distribute.heldSignals');

/** Hold stop signals when `argv` runs a long-running command; other commands keep the default. */
export function holdStopSignals(argv: readonly string[] = process.argv): void {
  if (holding || !LONG_RUNNING.has(argv[2] ?? '')) return;
  holding = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  // Take over from the launcher's hold: ours is installed, so no signal falls between the two.
  const early = (globalThis as Record<symbol, EarlyHold | undefined>)[EARLY];
  if (early) {
    early.release?.();
    for (const s of early.splice(0)) onSignal(s);
  }
}

/** Resolves with the first stop signal (at once if one arrived while the command was starting). */
export function stopSignal(): Promise<NodeJS.Signals> {
  if (!holding) {
    holding = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  if (received) return Promise.resolve(received);
  return new Promise((resolve) => waiters.push(resolve));
}
