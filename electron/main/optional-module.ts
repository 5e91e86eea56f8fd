/**
 * Loads a function from a module that may not exist yet in this checkout (the agent core and the
 * sync command are written in parallel with the shell). The specifier is a runtime value, so the
 * shell type-checks without them; the export is checked at run time and a miss is a value.
 */

export type LoadResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Import `url` and return its export `name` if it is a function. */
export async function loadFunction<T extends (...args: never[]) => unknown>(url: URL, name: string): Promise<LoadResult<T>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, error: `cannot load ${url.pathname}: ${(err as Error).message}` };
  }
  const value = mod[name];
  if (typeof value !== 'function') return { ok: false, error: `${url.pathname} does not export a function named ${name}` };
  return { ok: true, value: value as T };
}
