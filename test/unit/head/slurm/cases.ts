/**
 * Hand-built batch configs for the SLURM transpiler tests: the golden table and the run tests.
 * Paths are under a fake /cfg folder; the transpiler never reads them.
 */
import type { BatchConfig, FileRef, Meta } from '../../../../shared/config/types.ts';
import type { SlurmOptions } from '../../../../head/slurm/transpile.ts';

/** A file ref as the loader produces it: absolute path, alias defaulting to the base name. */
export function ref(path: string, alias?: string, base = '/cfg'): FileRef {
  return { path: `${base}/${path}`, alias: alias ?? path.split('/').pop()! };
}

export function meta(batch_name: string): Meta {
  return { batch_name, namespace: 'lab', capabilities: ['python3'], resources: {}, max_retries: 0 };
}

export interface GoldenCase {
  name: string;
  config: BatchConfig;
  options?: SlurmOptions;
}

const source = '/cfg/distribute-jobs.yaml';

export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: 'python-build',
    config: {
      source,
      meta: meta('sweep_re'),
      section: {
        kind: 'python',
        initialize: { build_file: ref('build.py'), required_files: [ref('mesh.h5')] },
        jobs: [1, 2, 3].map((i) => ({ name: `job_${i}`, file: ref('run.py'), required_files: [ref(`params/p${i}.json`, 'params.json')] })),
      },
      slurm: { ntasks: 1, cpus_per_task: 4, time: '01:00:00', mem_per_cpu: '2G', partition: 'short', account: 'fluids', mail_user: 'a@b.c', mail_type: 'END,FAIL', hint: 'nomultithread' },
    },
    options: { python: '/usr/bin/python3' },
  },
  {
    name: 'python-no-build-no-slurm',
    config: {
      source,
      meta: meta('plain'),
      section: {
        kind: 'python',
        initialize: { required_files: [] },
        jobs: [{ name: 'only', file: ref('solve.py'), required_files: [] }, { name: 'second one', file: ref('solve2.py', 'solve.py'), required_files: [] }],
      },
    },
  },
  {
    name: 'python-two-groups',
    config: {
      source,
      meta: meta('groups'),
      section: {
        kind: 'python',
        initialize: { build_file: ref('build.py', 'setup.py'), required_files: [ref('shared.dat')] },
        jobs: [
          { name: 'a', file: ref('run.py'), required_files: [ref('a.json', 'in.json')] },
          { name: 'b', file: ref('run.py'), required_files: [ref('b.json', 'in.json')], slurm: { time: '10:00:00', mem_per_cpu: '8G' } },
          { name: 'c', file: ref('run.py'), required_files: [ref('c.json', 'in.json')] },
          { name: 'd', file: ref('run.py'), required_files: [ref('d.json', 'in.json')], slurm: { mem_per_cpu: '8G', time: '10:00:00' } },
          { name: "e's", file: ref('run.py'), required_files: [], slurm: { job_name: 'special e', output: 'e.log' } },
        ],
      },
      slurm: { time: '00:30:00', cpus_per_task: 2 },
    },
    options: { upload: 'me@cluster.example.org:scratch/groups' },
  },
  {
    name: 'apptainer',
    config: {
      source,
      meta: meta('container'),
      section: {
        kind: 'apptainer',
        initialize: { sif: ref('solver.sif'), required_files: [ref('grid.bin')], required_mounts: ['/solver/tmp', '/scratch'] },
        jobs: [{ name: 'r1', required_files: [ref('r1.cfg', 'case.cfg')] }, { name: 'r2', required_files: [ref('r2.cfg', 'case.cfg')] }],
      },
      slurm: { cpus_per_task: 8 },
    },
    options: { runtime: 'singularity' },
  },
  {
    name: 'shell',
    config: {
      source,
      meta: meta('shelly'),
      section: {
        kind: 'shell',
        initialize: { build: 'make -j"$DISTRIBUTE_CORES" solver', required_files: [ref('Makefile'), ref('solver.c')] },
        jobs: [
          { name: 'small', command: './solver input/small.txt > distribute_save/out.txt', required_files: [ref('small.txt')] },
          { name: 'big', command: "echo 'big run' && ./solver input/big.txt > distribute_save/out.txt", required_files: [ref('big.txt')] },
        ],
      },
    },
  },
];
