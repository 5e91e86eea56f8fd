/**
 * The agent's file transfer, as the agent core sees it: fetch a run's inputs, upload its results.
 * The real one talks HTTP to the head (run-files.ts, result-upload.ts); unit tests give the agent
 * a fake that answers at once, or refuses.
 */
import type { PersistedRun } from './agent-store.ts';
import { uploadResults, type UploadedResults } from './result-upload.ts';
import { fetchRunInputs, type Workspace } from './runner/index.ts';

/** Moves a run's files between this node and the head. */
export interface FileTransfer {
  /**
   * Downloads every input of `run` not cached yet and creates the run's directory. Returns the
   * sha256 of every input the run uses.
   */
  fetchInputs(run: PersistedRun): Promise<string[]>;
  /**
   * Uploads the results of `run` (with `only`, just those archive paths again); see
   * result-upload.ts. With `inlineBytes`, small files up to that many bytes in all are only
   * hashed, not uploaded, and named in `inline`: the report carries them.
   */
  uploadResults(run: PersistedRun, only?: Set<string>, inlineBytes?: number): Promise<UploadedResults>;
}

/** What a transfer needs to know: where files live here and how to reach the head. */
export interface TransferContext {
  ws: Workspace;
  headUrl: string;
  /** The bearer token of the moment (the node credential once enrolled). */
  token: () => string;
  log: (line: string) => void;
}

/** Makes the agent's transfer. */
export type FileTransferFactory = (ctx: TransferContext) => FileTransfer;

/** The real transfer: HTTP(S) to the head. */
export const httpTransfer: FileTransferFactory = (ctx) => ({
  fetchInputs: (run) => fetchRunInputs({ ws: ctx.ws, headUrl: ctx.headUrl, token: ctx.token() }, run),
  uploadResults: (run, only, inlineBytes) => uploadResults({ ws: ctx.ws, headUrl: ctx.headUrl, token: ctx.token(), log: ctx.log }, run, only, inlineBytes),
});
