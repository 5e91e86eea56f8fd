/**
 * The `distribute` program in commander: every command line main.ts does not answer itself (help,
 * usage errors, and every command without a quick path). Loaded only then: commander costs a short
 * command ≈ 15 ms of start-up (bench/startup.ts).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../../shared/version.ts';
import { COMMANDS } from './commands.ts';

/** Register the commands `names` (see commandsToLoad) and run the command line; sets process.exitCode. */
export async function runProgram(names: readonly string[]): Promise<void> {
  const program = new Command();
  program
    .name('distribute')
    .description('Spread batches of compute jobs over a lab\'s computers, archive results on a head node, pull them on demand.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
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
}
