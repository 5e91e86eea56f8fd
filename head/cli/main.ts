/**
 * Entry of the `distribute` command: one file per command under head/cli/, each exporting
 * `register(program)`. Exit codes: 0 ok, 1 the operation failed (a job failed, a request was
 * refused), 2 bad usage or bad input (invalid config, unknown option), 3 cannot reach the head.
 */
// First: a stop signal that arrives while the commands load must not kill an agent mid-start.
import { holdStopSignals } from './stop-signals.ts';
import { Command, CommanderError } from 'commander';
import { VERSION } from '../../shared/version.ts';
import { guardClosedOutput } from './closed-pipe.ts';
import { COMMANDS, commandsToLoad, SERVICES } from './commands.ts';

holdStopSignals();

const program = new Command();
program
  .name('distribute')
  .description('Spread batches of compute jobs over a lab\'s computers, archive results on a head node, pull them on demand.')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

const names = commandsToLoad(process.argv.slice(2));
guardClosedOutput(names.length === 1 && SERVICES.has(names[0]) ? 'ignore' : 'exit');
for (const mod of await Promise.all(names.map((name) => COMMANDS[name]()))) mod.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`distribute: ${(err as Error).message ?? err}\n`);
    process.exitCode = 1;
  }
}
