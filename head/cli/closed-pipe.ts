/**
 * What the CLI does when its output goes nowhere: `distribute nodes | head -1` closes the pipe
 * after one line and the next write fails with EPIPE, which Node reports as an unhandled 'error'
 * event with a stack trace.
 */

/**
 * - `exit` (short commands): leave quietly at once, with the exit code set so far (0 if none);
 *   their work is done by the time they print.
 * - `ignore` (services: server, agent, up): drop further output and keep working. An agent whose
 *   terminal or log pipe went away must still finish, and on Ctrl-C hand its job back.
 */
export function guardClosedOutput(mode: 'exit' | 'ignore'): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (mode === 'exit') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      // 'ignore': the stream is destroyed; later writes fail the same way and land here too.
      void err;
    });
  }
}
