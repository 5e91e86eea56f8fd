/**
 * `distribute service head|agent`: write a systemd unit that starts this installed command (the
 * node binary and bin/distribute.js running now), to stdout or to --output without overwriting.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, action, parseHeadUrl, parsePort } from './client.ts';
import { agentUnit, headUnit, type UnitBase } from './service-units.ts';

interface CommonOptions {
  user: string;
  output?: string;
  force?: boolean;
}

/** The folder holding package.json: two levels up from head/cli/, three from dist/head/cli/. */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new CliError('cannot find the distribute package folder', EXIT.failed);
    dir = up;
  }
  return dir;
}

function base(opts: CommonOptions): UnitBase {
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(opts.user)) throw new CliError(`--user: '${opts.user}' is not a user name`, EXIT.usage);
  return { node: process.execPath, bin: path.join(packageRoot(), 'bin', 'distribute.js'), user: opts.user };
}

function emit(text: string, opts: CommonOptions, name: string): void {
  if (!opts.output) {
    process.stdout.write(text);
    return;
  }
  try {
    fs.writeFileSync(opts.output, text, { flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`'${opts.output}' already exists; use --force to overwrite it`, EXIT.usage);
    throw new CliError(`cannot write '${opts.output}': ${code ?? (err as Error).message}`, EXIT.failed);
  }
  process.stderr.write(`wrote ${opts.output}; install it with:\n  sudo cp ${opts.output} /etc/systemd/system/${name}.service && sudo systemctl daemon-reload && sudo systemctl enable --now ${name}\n`);
}

function common(cmd: Command, user: string): Command {
  return cmd
    .option('--user <name>', 'system user the service runs as', user)
    .option('-o, --output <file>', 'write the unit to this file instead of stdout')
    .option('-f, --force', 'overwrite the output file if it exists');
}

export function register(program: Command): void {
  const service = program.command('service').description('write a systemd unit for a head or a headless agent (see README "A real lab")');
  common(service
    .command('head')
    .description('unit running `distribute server` at boot')
    .option('--data <dir>', 'head data folder', '/var/lib/distribute')
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on', '8952')
    .option('--node-timeout <duration>', 'passed to distribute server')
    .option('--tls-cert <file>', 'serve HTTPS/WSS with this certificate (readable by --user); needs --tls-key')
    .option('--tls-key <file>', 'private key of --tls-cert (readable by --user only)'), 'distribute')
    .action(action('service head', async (opts: CommonOptions & { data: string; host: string; port: string; nodeTimeout?: string; tlsCert?: string; tlsKey?: string }) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together', EXIT.usage);
      const text = headUnit({
        ...base(opts), data: path.resolve(opts.data), host: opts.host, port: parsePort('--port', opts.port), nodeTimeout: opts.nodeTimeout,
        tlsCert: opts.tlsCert && path.resolve(opts.tlsCert), tlsKey: opts.tlsKey && path.resolve(opts.tlsKey),
      });
      emit(text, opts, 'distribute-head');
    }));
  common(service
    .command('agent')
    .description('unit running `distribute agent` at boot (a compute node without the tray app)')
    .requiredOption('--head <url>', 'head URL; http:// is assumed without a scheme')
    .requiredOption('--token-file <file>', 'file holding the agent join token (readable by --user)')
    .option('--workdir <dir>', 'agent work folder (writable by --user)', '/var/lib/distribute-agent')
    .option('--name <name>', 'node name (default: the host name)')
    .option('--tag <tag...>', 'capability tags (repeatable)', [])
    .option('--owner <user>', 'user who owns this workstation')
    .option('--python <path>', 'python interpreter for python batches')
    .option('--on-exit <what>', 'requeue (stopping the service hands the job back) or keep (the job runs on)', 'requeue')
    .option('--ca <file>', 'lab CA certificate for an https head'), 'distribute')
    .action(action('service agent', async (opts: CommonOptions & { head: string; tokenFile: string; workdir: string; name?: string; tag: string[]; owner?: string; python?: string; onExit: string; ca?: string }) => {
      if (opts.onExit !== 'requeue' && opts.onExit !== 'keep') throw new CliError(`--on-exit: '${opts.onExit}' is not requeue or keep`, EXIT.usage);
      const text = agentUnit({
        ...base(opts), head: parseHeadUrl(opts.head), tokenFile: path.resolve(opts.tokenFile), workdir: path.resolve(opts.workdir),
        name: opts.name, tags: opts.tag, owner: opts.owner, python: opts.python, onExit: opts.onExit, ca: opts.ca && path.resolve(opts.ca),
      });
      emit(text, opts, 'distribute-agent');
    }));
}
