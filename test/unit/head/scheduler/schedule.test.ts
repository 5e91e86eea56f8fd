import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainFor, planDrain, schedule, type Drain } from '../../../../head/scheduler/schedule.ts';
import { NO_USAGE, type Share, type Usage } from '../../../../shared/batch/request.ts';
import type { Assignment, SchedulerBatch, SchedulerNode, SchedulerState } from '../../../../head/scheduler/types.ts';
import type { Capabilities } from '../../../../shared/protocol/capabilities.ts';
import type { Resources } from '../../../../shared/config/types.ts';

const GIB = 1024 ** 3;

/** A workstation: 8 cores, 32 GiB, no GPU, tags python3 unless told otherwise. */
function caps(over: Partial<Capabilities> = {}): Capabilities {
  return { tags: ['python3'], physicalCores: 8, logicalCores: 16, memoryBytes: 32 * GIB, gpus: [], ...over };
}

function node(id: string, over: Partial<SchedulerNode> = {}): SchedulerNode {
  return { id, capabilities: caps(), accepting: true, usage: NO_USAGE, built: [], buildFailed: [], lastBatch: null, ...over };
}

/** An 8-core node's usage while it runs one whole-node job. */
const BUSY: Usage = { cpus: 8, memoryBytes: 32 * GIB, gpus: 0, runs: 1, whole: true };

/** Usage of `runs` 1-core jobs of `share`. */
function using(runs: number, share: Share): Usage {
  return { cpus: runs * share.cpus, memoryBytes: runs * share.memoryBytes, gpus: runs * share.gpus, runs, whole: false };
}

const ONE: Share = { cpus: 1, memoryBytes: 0, gpus: 0 };

/** A batch with `jobs` queued jobs named `<id>-0`, `<id>-1`, ... */
function batch(
  id: string,
  owner: string,
  createdAt: number,
  jobs: number,
  over: { capabilities?: string[]; resources?: Resources; share?: Share | null; jobShares?: Record<string, Share | null> } = {},
): SchedulerBatch {
  return {
    id,
    owner,
    createdAt,
    capabilities: over.capabilities ?? ['python3'],
    resources: over.resources ?? {},
    share: over.share ?? null,
    ...(over.jobShares ? { jobShares: over.jobShares } : {}),
    queued: Array.from({ length: jobs }, (_, i) => `${id}-${i}`),
  };
}

function state(nodes: SchedulerNode[], batches: SchedulerBatch[], runningByOwner: Record<string, number> = {}): SchedulerState {
  return { nodes, batches, runningByOwner };
}

const a = (nodeId: string, batchId: string, job: string): Assignment => ({ nodeId, batchId, job });

const gpuBox = caps({
  tags: ['python3', 'gpu', 'cuda'],
  physicalCores: 32,
  logicalCores: 64,
  memoryBytes: 128 * GIB,
  gpus: [
    { vendor: 'NVIDIA', model: 'RTX 3060', memoryBytes: 12 * GIB },
    { vendor: 'NVIDIA', model: 'RTX 4090', memoryBytes: 24 * GIB },
  ],
});

interface Row {
  name: string;
  state: SchedulerState;
  expected: Assignment[];
}

const table: Row[] = [
  // --- capability tags -------------------------------------------------------------------------
  {
    name: 'a batch goes only to a node with all its tags',
    state: state(
      [node('n1'), node('n2', { capabilities: caps({ tags: ['python3', 'gfortran'] }) })],
      [batch('f', 'ana', 1, 3, { capabilities: ['python3', 'gfortran'] })],
    ),
    expected: [a('n2', 'f', 'f-0')],
  },
  {
    name: 'a node that covers no batch gets nothing, even when work is queued',
    state: state([node('n1', { capabilities: caps({ tags: [] }) })], [batch('p', 'ana', 1, 3)]),
    expected: [],
  },
  {
    name: 'an incompatible node is skipped, the user\'s other batch is offered instead',
    state: state(
      [node('n1')],
      [batch('old', 'ana', 1, 2, { capabilities: ['apptainer'] }), batch('new', 'ana', 2, 2)],
    ),
    expected: [a('n1', 'new', 'new-0')],
  },
  // --- resource minimums -----------------------------------------------------------------------
  {
    name: 'cpus: needs 16 physical cores, only the 32-core box qualifies',
    state: state([node('small'), node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { cpus: 16 } })]),
    expected: [a('big', 'b', 'b-0')],
  },
  {
    name: 'cpus: logical cores do not count (8 physical / 16 logical fails 12)',
    state: state([node('small')], [batch('b', 'ana', 1, 5, { resources: { cpus: 12 } })]),
    expected: [],
  },
  {
    name: 'memory_gb: 64 GiB needed, the 32 GiB node is skipped',
    state: state([node('small'), node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { memory_gb: 64 } })]),
    expected: [a('big', 'b', 'b-0')],
  },
  {
    name: 'memory_gb: exactly the minimum is enough',
    state: state([node('small')], [batch('b', 'ana', 1, 5, { resources: { memory_gb: 32 } })]),
    expected: [a('small', 'b', 'b-0')],
  },
  {
    name: 'gpus: 2 GPUs needed, only the GPU box qualifies',
    state: state([node('small'), node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { gpus: 2 } })]),
    expected: [a('big', 'b', 'b-0')],
  },
  {
    name: 'gpus: 3 GPUs needed, nobody qualifies',
    state: state([node('small'), node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { gpus: 3 } })]),
    expected: [],
  },
  {
    name: 'gpu_memory_gb: the largest GPU counts (24 GiB covers 20)',
    state: state([node('small'), node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { gpu_memory_gb: 20 } })]),
    expected: [a('big', 'b', 'b-0')],
  },
  {
    name: 'gpu_memory_gb: 40 GiB needed, no GPU that large',
    state: state([node('big', { capabilities: gpuBox })], [batch('b', 'ana', 1, 5, { resources: { gpu_memory_gb: 40 } })]),
    expected: [],
  },
  {
    name: 'within one owner batch age decides, even on a node that could run a more demanding batch',
    state: state(
      [node('a-small'), node('b-big', { capabilities: gpuBox })],
      [batch('gpu', 'ana', 2, 5, { resources: { gpus: 1 } }), batch('cpu', 'ana', 1, 5)],
    ),
    // a-small visited first (ids), can only take `cpu`; ana then holds 1, b-big still takes ana's
    // work (ana is the only owner) and `cpu` is older, so it gets cpu-1.
    expected: [a('a-small', 'cpu', 'cpu-0'), a('b-big', 'cpu', 'cpu-1')],
  },
  // --- fairness --------------------------------------------------------------------------------
  {
    name: 'the owner holding the fewest jobs goes first, whatever the batch ages',
    state: state(
      [node('n1')],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9), batch('c1', 'cat', 3, 9)],
      { ana: 24, ben: 16, cat: 8 },
    ),
    expected: [a('n1', 'c1', 'c1-0')],
  },
  {
    name: 'owners tied on held jobs: the one with the oldest batch goes first',
    state: state([node('n1')], [batch('a1', 'ana', 5, 9), batch('b1', 'ben', 2, 9)], { ana: 8, ben: 8 }),
    expected: [a('n1', 'b1', 'b1-0')],
  },
  {
    name: 'an owner absent from runningByOwner holds zero',
    state: state([node('n1')], [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)], { ana: 8 }),
    expected: [a('n1', 'b1', 'b1-0')],
  },
  {
    name: 'within one owner, the oldest batch first; jobs in submission order',
    state: state([node('n1'), node('n2'), node('n3')], [batch('late', 'ana', 9, 5), batch('early', 'ana', 1, 2)]),
    expected: [a('n1', 'early', 'early-0'), a('n2', 'early', 'early-1'), a('n3', 'late', 'late-0')],
  },
  {
    name: '5-job batch submitted after a 500-job batch gets the next free node',
    state: state(
      [
        node('n1', { built: ['sweep'], lastBatch: 'sweep' }),
        node('n2', { usage: BUSY, built: ['sweep'], lastBatch: 'sweep' }),
        node('n3', { usage: BUSY, built: ['sweep'], lastBatch: 'sweep' }),
      ],
      [batch('sweep', 'ana', 1, 480), batch('small', 'ben', 1000, 5)],
      { ana: 16 },
    ),
    expected: [a('n1', 'small', 'small-0')],
  },
  {
    name: 'several free nodes in one call alternate between owners',
    state: state([node('n1'), node('n2'), node('n3'), node('n4'), node('n5')], [batch('a1', 'ana', 1, 50), batch('b1', 'ben', 2, 50)]),
    expected: [
      a('n1', 'a1', 'a1-0'),
      a('n2', 'b1', 'b1-0'),
      a('n3', 'a1', 'a1-1'),
      a('n4', 'b1', 'b1-1'),
      a('n5', 'a1', 'a1-2'),
    ],
  },
  {
    name: 'several free nodes first bring the least-served owner level',
    state: state([node('n1'), node('n2'), node('n3'), node('n4')], [batch('a1', 'ana', 1, 50), batch('b1', 'ben', 2, 50)], { ana: 24 }),
    expected: [a('n1', 'b1', 'b1-0'), a('n2', 'b1', 'b1-1'), a('n3', 'b1', 'b1-2'), a('n4', 'a1', 'a1-0')],
  },
  {
    name: 'more free nodes than queued jobs: each job handed out once',
    state: state([node('n1'), node('n2'), node('n3')], [batch('a1', 'ana', 1, 2)]),
    expected: [a('n1', 'a1', 'a1-0'), a('n2', 'a1', 'a1-1')],
  },
  {
    name: 'fairness is judged among the owners this node can serve',
    state: state(
      [node('n1')],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9, { capabilities: ['gfortran'] })],
      { ana: 40 },
    ),
    expected: [a('n1', 'a1', 'a1-0')],
  },
  // --- sticky builds ---------------------------------------------------------------------------
  {
    name: 'sticky: a node keeps the batch it built when its owner is among the least served',
    state: state(
      [node('n1', { built: ['a1'] })],
      [batch('b1', 'ben', 1, 9), batch('a1', 'ana', 2, 9)],
      { ana: 8, ben: 8 },
    ),
    expected: [a('n1', 'a1', 'a1-0')],
  },
  {
    name: 'sticky is abandoned when another owner is starved',
    state: state(
      [node('n1', { built: ['a1'], lastBatch: 'a1' })],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)],
      { ana: 16, ben: 0 },
    ),
    expected: [a('n1', 'b1', 'b1-0')],
  },
  {
    name: 'sticky beats batch age within the same owner',
    state: state([node('n1', { built: ['late'] })], [batch('early', 'ana', 1, 9), batch('late', 'ana', 2, 9)]),
    expected: [a('n1', 'late', 'late-0')],
  },
  {
    name: 'the batch last run beats other built batches',
    state: state(
      [node('n1', { built: ['x', 'y'], lastBatch: 'y' })],
      [batch('x', 'ana', 1, 9), batch('y', 'ana', 2, 9)],
    ),
    expected: [a('n1', 'y', 'y-0')],
  },
  {
    name: 'a built batch with no queued jobs left does not hold the node',
    state: state([node('n1', { built: ['done'], lastBatch: 'done' })], [batch('done', 'ana', 1, 0), batch('b1', 'ben', 2, 3)]),
    expected: [a('n1', 'b1', 'b1-0')],
  },
  {
    name: 'warm nodes choose first, so each node stays on its own build',
    state: state(
      [node('n1'), node('n2', { built: ['a1'], lastBatch: 'a1' }), node('n3', { built: ['b1'], lastBatch: 'b1' })],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)],
    ),
    // n2 and n3 keep their builds; cold n1 goes last and takes the oldest batch of the tied owners.
    expected: [a('n2', 'a1', 'a1-0'), a('n3', 'b1', 'b1-0'), a('n1', 'a1', 'a1-1')],
  },
  // --- failed builds and non-free nodes ----------------------------------------------------------
  {
    name: 'a batch whose build failed on a node is never offered to it again',
    state: state([node('n1', { buildFailed: ['a1'] })], [batch('a1', 'ana', 1, 9)]),
    expected: [],
  },
  {
    name: 'a failed build sends the node to the next batch, and other nodes still get it',
    state: state(
      [node('n1', { buildFailed: ['a1'] }), node('n2')],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)],
    ),
    expected: [a('n1', 'b1', 'b1-0'), a('n2', 'a1', 'a1-0')],
  },
  {
    name: 'non-free nodes get nothing',
    state: state([node('busy', { usage: BUSY }), node('paused', { accepting: false, lastBatch: 'a1', built: ['a1'] })], [batch('a1', 'ana', 1, 9)]),
    expected: [],
  },
  {
    name: 'no batches, no assignments',
    state: state([node('n1')], []),
    expected: [],
  },
];

for (const row of table) {
  test(`schedule: ${row.name}`, () => {
    assert.deepEqual(schedule(row.state), row.expected);
  });
}

test('schedule: deterministic and independent of array order; the state is not mutated', () => {
  const nodes = [
    node('n1'),
    node('n2', { built: ['b1'], lastBatch: 'b1' }),
    node('n3', { capabilities: gpuBox }),
    node('n4', { usage: BUSY }),
    node('n5', { buildFailed: ['a1'] }),
  ];
  const batches = [
    batch('a1', 'ana', 1, 4),
    batch('b1', 'ben', 2, 4),
    batch('c1', 'cat', 3, 4, { resources: { gpus: 1 } }),
    batch('a2', 'ana', 4, 4),
  ];
  const original = state(nodes, batches, { ana: 8 });
  const frozen = structuredClone(original);
  const first = schedule(original);
  assert.deepEqual(original, frozen);
  assert.equal(first.length, 4);
  assert.deepEqual(schedule(original), first);
  const shuffled = state([...nodes].reverse(), [batches[2], batches[0], batches[3], batches[1]], { ana: 8 });
  assert.deepEqual(schedule(shuffled), first);
  // No job handed out twice.
  assert.equal(new Set(first.map((x) => x.job)).size, first.length);
});

/**
 * A small discrete simulation with `schedule` as the only policy: 4 nodes busy with ana's 500-job
 * sweep, ben submits 5 jobs. Each job takes 10 time units; nodes finish staggered.
 */
test('schedule: simulation, a 5-job batch behind a 500-job batch starts within one job-length', () => {
  const JOB = 10;
  const sweep = batch('sweep', 'ana', 0, 500);
  const small = batch('small', 'ben', 3, 5);
  const nodes = ['n1', 'n2', 'n3', 'n4'].map((id) => node(id, { built: ['sweep'], lastBatch: 'sweep' }));
  /** node id → [owner, finish time] */
  const running = new Map<string, { owner: string; batchId: string; end: number }>();
  const starts: { job: string; at: number }[] = [];
  let drain: Drain | null = null;

  // At time 0 the sweep fills all nodes; nodes then finish at 0+JOB+offset (offsets 0..3).
  let assigned = schedule(state(nodes, [sweep], {}));
  assigned.forEach((x, i) => running.set(x.nodeId, { owner: 'ana', batchId: x.batchId, end: JOB + i }));
  sweep.queued.splice(0, assigned.length);

  for (let now = 1; now <= 60; now++) {
    const batches = now >= small.createdAt ? [sweep, small] : [sweep];
    for (const [id, job] of running) {
      if (job.end <= now) {
        running.delete(id);
        const n = nodes.find((x) => x.id === id)!;
        n.lastBatch = job.batchId;
        if (!n.built.includes(job.batchId)) n.built.push(job.batchId);
      }
    }
    for (const n of nodes) n.usage = running.has(n.id) ? BUSY : NO_USAGE;
    const held: Record<string, number> = {};
    for (const job of running.values()) held[job.owner] = (held[job.owner] ?? 0) + 8;
    const st = state(nodes, batches, held);
    drain = planDrain(st, drain);
    assigned = schedule({ ...st, drain });
    for (const x of assigned) {
      const b = batches.find((y) => y.id === x.batchId)!;
      assert.equal(b.queued.shift(), x.job);
      running.set(x.nodeId, { owner: b.owner, batchId: b.id, end: now + JOB });
      starts.push({ job: x.job, at: now });
    }
  }

  const smallStarts = starts.filter((s) => s.job.startsWith('small-'));
  assert.equal(smallStarts.length, 5, 'all five small jobs started');
  assert.ok(smallStarts[0].at - small.createdAt <= JOB, `first small job waited ${smallStarts[0].at - small.createdAt}`);
  // Ben holds nothing, so the first two frees go to him (ana still holds 3, then 2); from then on
  // the four nodes split 2:2 between the users until his five jobs have all started.
  assert.deepEqual(
    starts.slice(0, 9).map((s) => s.job.split('-')[0]),
    ['small', 'small', 'sweep', 'sweep', 'small', 'small', 'sweep', 'sweep', 'small'],
  );
  assert.deepEqual(smallStarts.map((s) => s.at), [10, 11, 20, 21, 30]);
});

// --- packing: requests, shares, several jobs per node -------------------------------------------

const packing: Row[] = [
  {
    name: 'packing: 1-core jobs fill a node up to its cores',
    state: state([node('n1')], [batch('p', 'ana', 1, 10, { share: ONE })]),
    expected: Array.from({ length: 8 }, (_, i) => a('n1', 'p', `p-${i}`)),
  },
  {
    name: 'packing: memory limits how many fit (3 x 10 GiB on a 32 GiB node)',
    state: state([node('n1')], [batch('p', 'ana', 1, 10, { share: { cpus: 1, memoryBytes: 10 * GIB, gpus: 0 } })]),
    expected: [a('n1', 'p', 'p-0'), a('n1', 'p', 'p-1'), a('n1', 'p', 'p-2')],
  },
  {
    name: 'packing: GPUs are never shared (2 one-GPU jobs on a 2-GPU box)',
    state: state([node('box', { capabilities: gpuBox })], [batch('g', 'ana', 1, 5, { share: { cpus: 2, memoryBytes: 0, gpus: 1 } })]),
    expected: [a('box', 'g', 'g-0'), a('box', 'g', 'g-1')],
  },
  {
    name: 'packing: only the free part counts (6 of 8 cores used, two more 1-core jobs)',
    state: state([node('n1', { usage: using(6, ONE) })], [batch('p', 'ana', 1, 10, { share: ONE })], { ana: 6 }),
    expected: [a('n1', 'p', 'p-0'), a('n1', 'p', 'p-1')],
  },
  {
    name: 'packing: a job without a request waits for an empty node and then has it alone',
    state: state(
      [node('n1', { usage: using(1, ONE) }), node('n2')],
      [batch('whole', 'ana', 1, 3), batch('small', 'ben', 2, 20, { share: ONE })],
      { ben: 1 },
    ),
    // n1 (warm: none) sorted by id; it cannot take a whole-node job, ben fills it; n2 is empty:
    // ana holds nothing and takes it whole.
    expected: [...Array.from({ length: 7 }, (_, i) => a('n1', 'small', `small-${i}`)), a('n2', 'whole', 'whole-0')],
  },
  {
    name: 'packing: a job\'s own request overrides the batch\'s',
    state: state([node('n1')], [batch('p', 'ana', 1, 3, { share: ONE, jobShares: { 'p-0': { cpus: 6, memoryBytes: 0, gpus: 0 } } })]),
    expected: [a('n1', 'p', 'p-0'), a('n1', 'p', 'p-1'), a('n1', 'p', 'p-2')],
  },
  {
    name: 'packing: a request larger than the node never lands there',
    state: state([node('n1'), node('big', { capabilities: gpuBox })], [batch('p', 'ana', 1, 1, { share: { cpus: 16, memoryBytes: 0, gpus: 0 } })]),
    expected: [a('big', 'p', 'p-0')],
  },
  {
    name: 'fairness counts cores: ben\'s one 4-core job is less than ana\'s six 1-core jobs',
    state: state(
      [node('n1', { usage: using(6, ONE) })],
      [batch('a1', 'ana', 1, 9, { share: ONE }), batch('b1', 'ben', 2, 9, { share: ONE })],
      { ana: 6, ben: 4 },
    ),
    expected: [a('n1', 'b1', 'b1-0'), a('n1', 'b1', 'b1-1')],
  },
  {
    name: 'fairness counts cores: several slots in one call even out the cores held',
    state: state([node('n1')], [batch('a1', 'ana', 1, 9, { share: { cpus: 4, memoryBytes: 0, gpus: 0 } }), batch('b1', 'ben', 2, 9, { share: ONE })]),
    // ana takes 4 cores; ben then takes 1-core jobs until he holds as many (ties go to ana's older batch, which no longer fits).
    expected: [a('n1', 'a1', 'a1-0'), a('n1', 'b1', 'b1-0'), a('n1', 'b1', 'b1-1'), a('n1', 'b1', 'b1-2'), a('n1', 'b1', 'b1-3')],
  },
  {
    name: 'drain: a waiting whole-node job of the least-served owner keeps small jobs off the node',
    state: state([node('n1', { usage: using(3, ONE) })], [batch('whole', 'ana', 5, 1), batch('small', 'ben', 1, 50, { share: ONE })], { ben: 3 }),
    expected: [],
  },
  {
    name: 'drain: the drained node is the one with the fewest cores in use; others keep packing',
    state: state(
      [node('n1', { usage: using(5, ONE) }), node('n2', { usage: using(2, ONE) })],
      [batch('whole', 'ana', 5, 1), batch('small', 'ben', 1, 50, { share: ONE })],
      { ben: 7 },
    ),
    expected: [a('n1', 'small', 'small-0'), a('n1', 'small', 'small-1'), a('n1', 'small', 'small-2')],
  },
  {
    name: 'drain: none while the owner fairness serves next holds more (ana already runs a whole node)',
    state: state(
      [node('n1', { usage: BUSY }), node('n2', { usage: using(3, ONE) })],
      [batch('whole', 'ana', 1, 5), batch('small', 'ben', 2, 50, { share: ONE })],
      { ana: 8, ben: 3 },
    ),
    expected: Array.from({ length: 5 }, (_, i) => a('n2', 'small', `small-${i}`)),
  },
];

for (const row of packing) {
  test(`schedule: ${row.name}`, () => {
    assert.deepEqual(schedule(row.state), row.expected);
  });
}

test('drainFor: picks the least-served owner\'s job that fits nowhere, on the emptiest node that could hold it', () => {
  const nodes = [node('n1', { usage: using(5, ONE) }), node('n2', { usage: using(2, ONE) }), node('n3', { accepting: false })];
  const batches = [batch('whole', 'ana', 5, 1), batch('small', 'ben', 1, 50, { share: ONE })];
  assert.deepEqual(drainFor(nodes, batches, { ben: 7 }), { nodeId: 'n2', batchId: 'whole' });
  // The job fits somewhere now: no drain, ordinary scheduling places it.
  assert.equal(drainFor([...nodes, node('n4')], batches, { ben: 7 }), null);
  // Nobody's work can run on these nodes: no drain.
  assert.equal(drainFor(nodes, [batch('f', 'ana', 1, 1, { capabilities: ['gfortran'] })], {}), null);
});

/**
 * The anti-starvation promise as a simulation: one 2-core node, ben streams 1-core jobs (each 3
 * time units, a new batch of them every few units), ana submits one whole-node job at time 4.
 * Without the drain rule a 1-core job would always take the free core before the node empties.
 */
test('schedule: simulation, a whole-node job is not starved by a stream of 1-core jobs', () => {
  const n1 = node('n1', { capabilities: caps({ physicalCores: 2 }) });
  let drain: Drain | null = null;
  const running: { owner: string; share: Share | null; end: number; job: string }[] = [];
  const batches: SchedulerBatch[] = [];
  let started: number | null = null;
  for (let now = 0; now <= 40 && started === null; now++) {
    // Ben's sweep was submitted first and never runs out; more batches of his keep coming.
    if (now === 0) batches.push(batch('sweep', 'ben', 0, 100, { share: ONE }));
    if (now % 2 === 0) batches.push(batch(`s${now}`, 'ben', now, 4, { share: ONE }));
    if (now === 4) batches.push(batch('whole', 'ana', 4, 1));
    for (let i = running.length - 1; i >= 0; i--) if (running[i].end <= now) running.splice(i, 1);
    let usage: Usage = NO_USAGE;
    const held: Record<string, number> = {};
    for (const r of running) {
      usage = r.share ? { ...usage, cpus: usage.cpus + 1, runs: usage.runs + 1 } : { ...usage, cpus: 2, runs: usage.runs + 1, whole: true };
      held[r.owner] = (held[r.owner] ?? 0) + (r.share ? 1 : 2);
    }
    n1.usage = usage;
    const st = state([n1], batches.filter((b) => b.queued.length), held);
    drain = planDrain(st, drain);
    for (const x of schedule({ ...st, drain })) {
      const b = batches.find((y) => y.id === x.batchId)!;
      assert.equal(b.queued.shift(), x.job);
      running.push({ owner: b.owner, share: b.share, end: now + 3, job: x.job });
      if (x.job === 'whole-0') started = now;
    }
    // Staggered ends keep one core busy at all times unless the node is drained.
    if (now === 1 && running.length === 2) running[1].end += 1;
  }
  assert.ok(started !== null, 'the whole-node job started');
  assert.ok(started - 4 <= 6, `the whole-node job waited ${started - 4} units (two 1-core job lengths at most)`);
});

test('planDrain: a drain is kept through the moment its node empties, and dropped once its owner is served more', () => {
  const n1 = node('n1', { capabilities: caps({ physicalCores: 2 }) });
  const batches = [batch('sweep', 'ben', 0, 50, { share: ONE }), batch('whole', 'ana', 4, 1)];
  const previous: Drain = { nodeId: 'n1', batchId: 'whole' };
  // The node emptied; both owners hold nothing, and without memory ben's older sweep would win it.
  const empty = state([n1], batches, {});
  assert.equal(drainFor(empty.nodes, empty.batches, empty.runningByOwner), null);
  assert.deepEqual(schedule(empty), [a('n1', 'sweep', 'sweep-0'), a('n1', 'sweep', 'sweep-1')]);
  assert.deepEqual(planDrain(empty, previous), previous);
  assert.deepEqual(schedule({ ...empty, drain: previous }), [a('n1', 'whole', 'whole-0')]);
  // Ana now holds more than ben (she runs a whole node elsewhere): the drain is dropped.
  const served = state([n1, node('n2', { usage: BUSY })], batches, { ana: 8, ben: 1 });
  assert.notDeepEqual(planDrain(served, previous), previous);
});

test('schedule: busy nodes that may take a job in hand get one each of a short batch, marked ahead; never of a long batch', () => {
  const short = { ...batch('S', 'olga', 1, 3), short: true };
  const both = [node('n1', { usage: BUSY, ahead: true }), node('n2', { usage: BUSY, ahead: true })];
  assert.deepEqual(schedule(state(both, [short], { olga: 16 })), [
    { nodeId: 'n1', batchId: 'S', job: 'S-0', ahead: true }, { nodeId: 'n2', batchId: 'S', job: 'S-1', ahead: true },
  ]);
  assert.deepEqual(schedule(state(both, [batch('L', 'olga', 1, 3)], { olga: 16 })), [], 'long jobs never wait in a hand');
  assert.deepEqual(schedule(state([node('n1', { usage: BUSY, ahead: false }), node('n2', { usage: BUSY, ahead: true })], [short], { olga: 16 })),
    [{ nodeId: 'n2', batchId: 'S', job: 'S-0', ahead: true }], 'one job in hand per node');
});

test('schedule: a job in hand never jumps fairness: a less served owner\'s long batch keeps the hands empty', () => {
  const short = { ...batch('S', 'olga', 0, 3), short: true };
  const long = batch('L', 'piet', 1, 3);
  const both = [node('n1', { usage: BUSY, ahead: true }), node('n2', { usage: BUSY, ahead: true })];
  assert.deepEqual(schedule(state(both, [short, long], { olga: 16 })), []);
  assert.deepEqual(schedule(state(both, [short, long], { olga: 8, piet: 8 })).map((x) => [x.nodeId, x.job, x.ahead]),
    [['n1', 'S-0', true]], 'equally served: n1, drained for the oldest runnable batch (S), holds its job; then piet is the less served, so n2 holds nothing');
});

test('schedule: a node with room gets its regular work first, then one job in hand in the same call', () => {
  const short = { ...batch('S', 'olga', 1, 5), short: true };
  assert.deepEqual(schedule(state([node('n1', { ahead: true }), node('n2', { ahead: true })], [short])),
    [a('n1', 'S', 'S-0'), a('n2', 'S', 'S-1'), { nodeId: 'n1', batchId: 'S', job: 'S-2', ahead: true }, { nodeId: 'n2', batchId: 'S', job: 'S-3', ahead: true }]);
  assert.deepEqual(schedule(state([node('n1', { ahead: true })], [batch('L', 'olga', 1, 5)])), [a('n1', 'L', 'L-0')], 'a long batch: no hand');
});
