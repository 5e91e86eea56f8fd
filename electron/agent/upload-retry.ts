/**
 * Retries an upload: up to `times` when the head refuses it (an HTTP error), but without limit
 * while the head cannot be reached at all (delay capped at 10 s) or answers that its disk is full
 * (507; delay growing to 30 s), so neither a head that restarts nor a full archive disk, however
 * long either lasts, costs a finished result: the files stay on this node until they are taken.
 */
export async function retryUpload<T>(fn: () => Promise<T>, times: number, log: (l: string) => void, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  let refusals = 0;
  let full = 0;
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const status = /HTTP (\d+)/.exec((err as Error).message)?.[1];
      if (status === '410') throw err; // the run is over: nothing to retry
      if (status === '507') {
        if (full % 10 === 0) log(`the head's archive disk is full; keeping the result here and retrying (${(err as Error).message})`);
        await sleep(Math.min(30_000, 1000 * 2 ** Math.min(full++, 5)));
        continue;
      }
      if (status !== undefined && ++refusals >= times) throw err;
      if (i < 8 || i % 30 === 0) log(`${(err as Error).message}; retrying`);
      await sleep(Math.min(10_000, 500 * 2 ** Math.min(i, 5)));
    }
  }
}
