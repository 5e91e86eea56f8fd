/**
 * The tray's lab CA: `--ca F` (or `--ca=F`) on its command line, else `$DISTRIBUTE_CA`. Pure, so the
 * rule is unit-tested without Electron; main.ts trusts the file (electron/agent/lab-ca.ts) before
 * anything connects to the head.
 */
export function caFileFrom(argv: readonly string[], env: Record<string, string | undefined>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ca' && argv[i + 1]) return argv[i + 1];
    if (argv[i].startsWith('--ca=') && argv[i].length > 5) return argv[i].slice(5);
  }
  return env.DISTRIBUTE_CA || undefined;
}
