/** Wire the head's `batch:ended` event to the configured notifiers (Matrix). */
import type { BatchEnd } from '../../shared/batch/batch-end.ts';
import type { RunningHead } from '../server.ts';
import { loadMatrixNotifier } from './matrix-notifier.ts';

export async function attachNotifiers(head: RunningHead, opts: { matrixConfig?: string; log?: (line: string) => void }):
  Promise<{ ok: true; close: () => void } | { ok: false; error: string }> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[head] ${line}\n`));
  if (!opts.matrixConfig) return { ok: true, close: () => {} };
  const loaded = await loadMatrixNotifier(opts.matrixConfig, { log });
  if (!loaded.ok) return { ok: false, error: `--matrix-config: ${loaded.error}` };
  const notifier = loaded.notifier;
  void notifier.check().then((r) => log(r.ok ? `matrix: notifications as ${r.userId}` : `matrix: credentials check failed: ${r.error}`));
  const onEnded = (e: BatchEnd) => notifier.notify({ ...e, headUrl: head.url });
  head.cluster.events.on('batch:ended', onEnded);
  return { ok: true, close: () => { head.cluster.events.off('batch:ended', onEnded); notifier.close(); } };
}
