/**
 * Shell quoting for the generated bash scripts. Values from a config (job names, aliases, commands)
 * are always single-quoted, so nothing in them is expanded; run-time values (`$CORES`,
 * `$JOB_DIR`) are spliced in through placeholders that {@link renderCommand} turns into
 * double-quoted variable references.
 */
import type { CommandLine } from '../../shared/job/command.ts';

/** `s` as one bash word that expands to exactly `s`. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Cores are a number in {@link CommandLine} (the node knows them); on SLURM they are only known when
 * the job starts. The transpiler passes this sentinel as the core count and {@link renderCommand}
 * replaces an argument equal to it with `"$CORES"`, so the argument list stays the one
 * `jobCommand()` builds for a distribute node.
 */
export const CORES_SENTINEL = 987_654_321;

/** A placeholder for a run-time shell variable inside a path given to `jobCommand()`. */
export function placeholder(variable: string): string {
  return `@@${variable}@@`;
}

/**
 * `arg` as one bash word: single-quoted, with the cores sentinel and any `@@VAR@@` placeholders
 * turned into `"$VAR"` references.
 */
export function renderWord(arg: string): string {
  if (arg === String(CORES_SENTINEL)) return '"$CORES"';
  if (!/@@[A-Z_][A-Z0-9_]*@@/.test(arg)) return shellQuote(arg);
  const quoted = `'${arg.replace(/'/g, `'\\''`)}'`;
  // Close the single quotes around each placeholder and splice a double-quoted variable in;
  // dropping a leading or trailing '' (an empty quoted word) leaves the meaning unchanged.
  return quoted.replace(/@@([A-Z_][A-Z0-9_]*)@@/g, `'"$$$1"'`).replace(/^''/, '').replace(/''$/, '');
}

/** The command as one bash line, every argument through {@link renderWord}. */
export function renderCommand(cmd: CommandLine): string {
  return [cmd.file, ...cmd.args].map(renderWord).join(' ');
}
