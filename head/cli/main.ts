/**
 * Entry of the `distribute` command: one file per command under head/cli/, each exporting
 * `register(program)`. Exit codes: 0 ok, 1 the operation failed (a job failed, a request was
 * refused), 2 bad usage or bad input (invalid config, unknown option), 3 cannot reach the head.
 *
 * A front door that loads as little as it can (start-up is the whole cost of `distribute status`,
 * bench/startup.ts): `--version` prints the version; a command whose file exports `quick` and
 * whose command line ./quick-args.ts can read runs without commander; everything else (help,
 * usage errors, every other command) goes through commander in ./program.ts.
 */
// First: a stop signal that arrives while the commands load must not kill an agent mid-start.
import { holdStopSignals } from './stop-signals.ts';
import { VERSION } from '../../shared/version.ts';
import { guardClosedOutput } from './closed-pipe.ts';
import { COMMANDS, commandsToLoad, SERVICES } from './commands.ts';
import { quickArgs } from './quick-args.ts';

holdStopSignals();

const args = process.argv.slice(2);
const names = commandsToLoad(args);
guardClosedOutput(names.length === 1 && SERVICES.has(names[0]) ? 'ignore' : 'exit');

if (names.length === 0) {
  // A bare --version (or -V), which is all commandsToLoad loads nothing for.
  process.stdout.write(`${VERSION}\n`);
} else if (!(await runQuick())) {
  await (await import('./program.ts')).runProgram(names);
}

/** Run the command without commander when its file allows and its command line is simple; false otherwise. */
async function runQuick(): Promise<boolean> {
  if (names.length !== 1 || args[0] !== names[0]) return false;
  const { quick } = await COMMANDS[names[0]]();
  const parsed = quick && quickArgs(quick.options, quick.maxArgs, args.slice(1), quick.minArgs);
  if (!quick || !parsed) return false;
  await quick.run(parsed.args, parsed.opts);
  return true;
}
