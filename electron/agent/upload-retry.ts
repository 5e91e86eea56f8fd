/**
 * Retries an upload: up to `times` when the head answers with an error, but without limit (delay
 * capped at 10 s) while the head cannot be reached at all, so a head that restarts, however long it
 * takes, costs no finished result.
 */
export async function retryUpload<T>(fn: () => Promise<T>, times: number, log: (l: string) => void): Promise<T> {
  let refusals = 0;
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const answered = /HTTP \d+/.test((err as Error).message);
      if (answered && ++refusals >= times) throw err;
      if (i < 8 || i % 30 === 0) log(`${(err as Error).message}; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(i, 5))));
    }
  }
}
