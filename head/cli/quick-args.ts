/**
 * The front door's own reading of a simple command line, so the commands scripts call most
 * (`distribute status`, `nodes`) run without loading commander (≈ 15 ms of a ≈ 100 ms start,
 * bench/startup.ts). It reads only what it is sure commander would read the same way and declines
 * everything else (help, an unknown or repeated option, a value that looks like an option, `--`,
 * one word too many), leaving it to commander and its messages. The options are the very list the
 * command registers with commander ({@link OptionDef}), so the two cannot drift apart.
 */

/** One option as the command registers it: `flags` in commander's syntax (`--head <url>`, `--json`). */
export interface OptionDef {
  flags: string;
  description: string;
  /** The value when the option is not given (commander's default), for an option taking a value. */
  default?: string;
}

/** A command that can run from {@link quickArgs}: its options, how many words it takes, its body. */
export interface QuickCommand {
  options: readonly OptionDef[];
  /** Positional words it accepts at most. */
  maxArgs: number;
  /** Positional words it needs (default 0): with fewer, commander reports the missing argument. */
  minArgs?: number;
  run(args: string[], opts: Record<string, string | true>): Promise<void>;
}

/** `--token-file <file>` → { name: 'tokenFile', takesValue: true }, as commander names it. */
function parseFlags(flags: string): { long: string; name: string; takesValue: boolean } {
  const m = /^(--[a-z][a-z0-9-]*)(?: <[^>]+>)?$/.exec(flags);
  if (!m) throw new Error(`quick-args: unsupported flags '${flags}' (only --long and --long <value>)`);
  return { long: m[1], name: m[1].slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()), takesValue: flags.includes('<') };
}

/**
 * The words and options of `args` (the words after the command name), or null when commander
 * should read them: anything but known long options (`--x v`, `--x=v`, each at most once) and
 * `minArgs` to `maxArgs` words that do not start with `-`. Options not given take their default.
 */
export function quickArgs(options: readonly OptionDef[], maxArgs: number, args: readonly string[], minArgs = 0): { args: string[]; opts: Record<string, string | true> } | null {
  const known = new Map(options.map((o) => {
    const f = parseFlags(o.flags);
    return [f.long, f] as const;
  }));
  const words: string[] = [];
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = known.get(eq === -1 ? arg : arg.slice(0, eq));
    if (!flag || Object.hasOwn(opts, flag.name)) return null;
    if (!flag.takesValue) {
      if (eq !== -1) return null;
      opts[flag.name] = true;
    } else if (eq !== -1) {
      opts[flag.name] = arg.slice(eq + 1);
    } else {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('-')) return null;
      opts[flag.name] = value;
      i++;
    }
  }
  if (words.length > maxArgs || words.length < minArgs) return null;
  for (const o of options) {
    if (o.default === undefined) continue;
    const { name } = parseFlags(o.flags);
    if (!Object.hasOwn(opts, name)) opts[name] = o.default;
  }
  return { args: words, opts };
}
