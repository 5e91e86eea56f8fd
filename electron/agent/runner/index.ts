/**
 * The job runner: everything between "this run is assigned here" and "this is how it ended",
 * for one job on this machine. Both the agent (electron/agent/agent.ts and its helpers) and
 * `distribute run` (head/run/local-run.ts) use it, and import it only through this file.
 *
 * What the runner does:
 * - **Workspace** ({@link Workspace}, {@link fetchRunInputs}, {@link prepareBuild},
 *   {@link prepareJobDirs}, {@link workDirOf}, {@link removeTree}): the node's content-addressed
 *   input cache, each batch's folder, and a job's input/save/mount directories, prepared before it
 *   starts and removed after.
 * - **Launch** ({@link processLauncher}, {@link startJobProcess}): starts a job's command as its
 *   own process group with stdout, stderr and exit code written to files in the run's directory
 *   ({@link jobFiles}), so a restarted agent can adopt a job it did not start.
 * - **Process tree** ({@link signalTree}, {@link jobMarker}): finds every process of a job (also
 *   those that left its process group, by the marker in their environment) to stop, continue or
 *   kill them together.
 * - **Outcome and output** ({@link toResult}, {@link describeExit}, {@link readTail},
 *   {@link collectResults}, {@link describeFiles}): turns a finished process into a `JobResult`,
 *   reads log tails, and lists what the job saved.
 *
 * What it does not do: talk to the head (connection, reporting, result upload), decide when a
 * job is paused or resumed (node-pause.ts, pause-watchdog.ts), or persist runs across agent
 * restarts (agent-store.ts). Those stay in electron/agent/ and call the runner.
 */
export { Workspace, collectResults, describeFiles } from './workspace.ts';
export { isEmptyFolder, removeTree } from './remove-tree.ts';
export { fetchRunInputs, prepareBuild, prepareJobDirs, workDirOf, type JobDirs, type RunFilesContext } from './run-files.ts';
export { processLauncher, type JobLauncher, type LaunchOptions } from './job-launch.ts';
export {
  endUnrecordedJobs, jobFiles, jobMarker, startJobProcess,
  type JobExit, type JobFiles, type JobProcess, type OutputListener, type StartJobOptions,
} from './job-process.ts';
export { signalTree } from './process-tree.ts';
export { describeExit, readTail, toResult } from './job-outcome.ts';
