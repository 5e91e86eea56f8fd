/**
 * A tiny bounded pool: runs `work` on every item, at most `limit` at a time, in order of start.
 * After the first rejection no new item starts; the ones already running settle (so nothing they
 * opened is left behind), then the first error is rethrown.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (errors.length === 0 && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length) throw errors[0];
}
