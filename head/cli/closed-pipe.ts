/**
 * What the CLI does when its output goes nowhere: `distribute nodes | head -1` closes the pipe
 * after one line and the next write fails with EPIPE, which Node reports as an unhandled 'error'
 * event with a stack trace.
 */

/**
 * - `exit` (short commands): stdout closed means its reader wants no more, so leave quietly at
 *   once, with the exit code set so far (0 if none). A closed stderr only loses progress lines
 *   and messages: the command goes on (`add big.yaml 2>&1 | head -1` still uploads and submits).
 * - `ignore` (services: server, agent, up): drop further output on both and keep working. An agent
 *   whose terminal or log pipe went away must still run, and on Ctrl-C hand its job back.
 */
export function guardClosedOutput(mode: 'exit' | 'ignore'): void {
  process.stdout.on('error', () => {
    if (mode === 'exit') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    // 'ignore': the stream is destroyed; later writes fail the same way and land here too.
  });
  process.stderr.on('error', () => { /* the stream is destroyed; later writes land here too */ });
}
