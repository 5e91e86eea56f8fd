/**
 * systemd unit files for a head and for a headless agent (`distribute service head|agent`). Pure:
 * the command passes the node binary, the CLI path and the options; tests feed the text to
 * `systemd-analyze verify`.
 */

/** What both units need to start the installed command. */
export interface UnitBase {
  /** Absolute path of the node binary (the one running this CLI). */
  node: string;
  /** Absolute path of bin/distribute.js. */
  bin: string;
  /** System user the service runs as. */
  user: string;
}

export interface HeadUnitOptions extends UnitBase {
  data: string;
  host: string;
  port: number;
  nodeTimeout?: string;
  /** HTTPS: certificate and key files (absolute), passed to distribute server. */
  tlsCert?: string;
  tlsKey?: string;
}

export interface AgentUnitOptions extends UnitBase {
  head: string;
  tokenFile: string;
  workdir: string;
  name?: string;
  tags: string[];
  owner?: string;
  python?: string;
  onExit: 'requeue' | 'keep';
  /** Lab CA certificate file (absolute) for an https head. */
  ca?: string;
}

/**
 * One ExecStart word: systemd splits on spaces and honours double quotes with C escapes, and
 * expands `%` specifiers and `$` variables, so those are doubled. Newlines cannot be expressed.
 */
export function execWord(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error(`a service argument cannot contain a line break: ${JSON.stringify(word)}`);
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function execStart(base: UnitBase, args: string[]): string {
  return [base.node, base.bin, ...args].map(execWord).join(' ');
}

/** The head's unit: restarts on failure, stops with SIGTERM so the store closes cleanly. */
export function headUnit(o: HeadUnitOptions): string {
  const args = ['server', '--data', o.data, '--host', o.host, '--port', String(o.port), ...(o.nodeTimeout ? ['--node-timeout', o.nodeTimeout] : []),
    ...(o.tlsCert && o.tlsKey ? ['--tls-cert', o.tlsCert, '--tls-key', o.tlsKey] : [])];
  return `# distribute head, written by \`distribute service head\`.
# Install: sudo cp distribute-head.service /etc/systemd/system/ && sudo systemctl enable --now distribute-head
[Unit]
Description=distribute head (lab job server: API, agent hub, results archive)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
# Many small file operations per job (staging, archive commit, run journal syncs) each hold one
# libuv thread for the disk's time; 16 instead of the default 4 keep the head from waiting on them.
Environment=UV_THREADPOOL_SIZE=16
ExecStart=${execStart(o, args)}
Restart=on-failure
RestartSec=5
TimeoutStopSec=30
NoNewPrivileges=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}

/**
 * A headless agent's unit. KillMode=mixed sends SIGTERM to the agent alone, which kills and hands
 * back its job itself (the default would signal the job's processes at the same moment); with
 * --on-exit keep, KillMode=process leaves the job running for the restarted agent to adopt.
 */
export function agentUnit(o: AgentUnitOptions): string {
  const args = ['agent', '--head', o.head, '--token-file', o.tokenFile, '--workdir', o.workdir,
    ...(o.name ? ['--name', o.name] : []), ...o.tags.flatMap((t) => ['--tag', t]), ...(o.owner ? ['--owner', o.owner] : []),
    ...(o.python ? ['--python', o.python] : []), ...(o.ca ? ['--ca', o.ca] : []), '--on-exit', o.onExit];
  return `# distribute agent (headless compute node), written by \`distribute service agent\`.
# Install: sudo cp distribute-agent.service /etc/systemd/system/ && sudo systemctl enable --now distribute-agent
[Unit]
Description=distribute agent (runs the lab's compute jobs on this machine)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
ExecStart=${execStart(o, args)}
Restart=on-failure
RestartSec=5
KillMode=${o.onExit === 'keep' ? 'process' : 'mixed'}
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
`;
}
