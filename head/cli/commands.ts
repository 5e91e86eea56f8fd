/**
 * The table of `distribute` commands and which of them a command line needs. Kept apart from
 * main.ts (which runs the program when imported) so the choice can be tested on its own.
 */
import type { Command } from 'commander';
import type { QuickCommand } from './quick-args.ts';

/** A command's file: `register` adds it to commander; `quick` lets main.ts run simple command lines without commander. */
export type Loader = () => Promise<{ register: (p: Command) => void; quick?: QuickCommand }>;

/**
 * Each command lives in its own file, loaded only when that command runs (start-up time is the
 * whole cost of `distribute status`); keep this list in the order `--help` shows them.
 */
export const COMMANDS: Record<string, Loader> = {
  server: () => import('./server.ts'),
  agent: () => import('./agent.ts'),
  up: () => import('./up.ts'),
  add: () => import('./add.ts'),
  status: () => import('./status.ts'),
  nodes: () => import('./nodes.ts'),
  pull: () => import('./pull.ts'),
  sync: () => import('./sync.ts'),
  logs: () => import('./logs.ts'),
  wait: () => import('./wait.ts'),
  rm: () => import('./rm.ts'),
  run: () => import('./run.ts'),
  kill: () => import('./kill.ts'),
  retry: () => import('./retry.ts'),
  pause: () => import('./pause.ts'),
  resume: () => import('./resume.ts'),
  user: () => import('./user.ts'),
  token: () => import('./token.ts'),
  template: () => import('./template.ts'),
  service: () => import('./service.ts'),
  slurm: () => import('./slurm.ts'),
};

/**
 * Which command files this command line needs: the named command only; none for a bare
 * `--version`; all of them for the overview help and for an unknown word (so commander can list
 * them or suggest the closest).
 */
export function commandsToLoad(args: readonly string[]): string[] {
  const words = args.filter((a) => !a.startsWith('-'));
  const word = words[0] === 'help' ? words[1] : words[0];
  if (word !== undefined && Object.hasOwn(COMMANDS, word)) return [word];
  if (word === undefined && words[0] !== 'help' && args.length > 0 && args.every((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(COMMANDS);
}

/** Long-running commands: they keep working when their output pipe closes (closed-pipe.ts). */
export const SERVICES: ReadonlySet<string> = new Set(['server', 'agent', 'up']);
