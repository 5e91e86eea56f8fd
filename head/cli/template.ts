/**
 * `distribute template python|apptainer|shell [--output F] [--force]`: writes a commented starter
 * config to stdout, or to F (never overwriting an existing file unless --force).
 */
import { writeFileSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import { TEMPLATES } from '../../shared/config/templates.ts';
import { SECTION_KINDS, type SectionKind } from '../../shared/config/job-sections.ts';

interface TemplateOptions {
  output?: string;
  force?: boolean;
}

/** Writes the template; returns the exit code (0 ok, 2 refused or unwritable output). */
export function writeTemplate(kind: SectionKind, opts: TemplateOptions, out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr): number {
  const template = TEMPLATES[kind];
  if (!opts.output) {
    out.write(template.text);
    return 0;
  }
  try {
    // 'wx' fails if the file exists, so there is no window between a check and the write.
    writeFileSync(opts.output, template.text, { flag: opts.force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      err.write(`distribute template: '${opts.output}' already exists; use --force to overwrite it\n`);
    } else {
      err.write(`distribute template: cannot write '${opts.output}': ${(e as Error).message}\n`);
    }
    return 2;
  }
  err.write(`Wrote ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} starter config to ${opts.output}. It names these files, which you provide: `
    + `${template.files.join(', ')}\n`);
  return 0;
}

/** Registers `template` on the program. */
export function register(program: Command): void {
  program
    .command('template')
    .description('write a commented starter batch config (to stdout unless --output is given)')
    .addArgument(new Argument('<kind>', 'job section of the config').choices([...SECTION_KINDS]))
    .option('-o, --output <file>', 'write the config to this file instead of stdout')
    .option('-f, --force', 'overwrite the output file if it exists')
    .action((kind: SectionKind, opts: TemplateOptions) => {
      process.exitCode = writeTemplate(kind, opts);
    });
}
