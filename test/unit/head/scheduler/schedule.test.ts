import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../../../head/scheduler/schedule.ts';
import type { Assignment, SchedulerBatch, SchedulerNode, SchedulerState } from '../../../../head/scheduler/types.ts';
import type { Capabilities } from '../../../../shared/protocol/capabilities.ts';
import type { Resources } from '../../../../shared/config/types.ts';

const GIB = 1024 ** 3;

/** A workstation: 8 cores, 32 GiB, no GPU, tags python3 unless told otherwise. */
function caps(over: Partial<Capabilities> = {}): Capabilities {
  return { tags: ['python3'], physicalCores: 8, logicalCores: 16, memoryBytes: 32 * GIB, gpus: [], ...over };
}

function node(id: string, over: Partial<SchedulerNode> = {}): SchedulerNode {
  return { id, capabilities: caps(), free: true, built: [], buildFailed: [], lastBatch: null, ...over };
}

/** A batch with `jobs` queued jobs named `<id>-0`, `<id>-1`, ... */
function batch(
  id: string,
  owner: string,
  createdAt: number,
  jobs: number,
  over: { capabilities?: string[]; resources?: Resources } = {},
): SchedulerBatch {
  return {
    id,
    owner,
    createdAt,
    capabilities: over.capabilities ?? ['python3'],
    resources: over.resources ?? {},
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
      { ana: 3, ben: 2, cat: 1 },
    ),
    expected: [a('n1', 'c1', 'c1-0')],
  },
  {
    name: 'owners tied on held jobs: the one with the oldest batch goes first',
    state: state([node('n1')], [batch('a1', 'ana', 5, 9), batch('b1', 'ben', 2, 9)], { ana: 1, ben: 1 }),
    expected: [a('n1', 'b1', 'b1-0')],
  },
  {
    name: 'an owner absent from runningByOwner holds zero',
    state: state([node('n1')], [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)], { ana: 1 }),
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
        node('n2', { free: false, built: ['sweep'], lastBatch: 'sweep' }),
        node('n3', { free: false, built: ['sweep'], lastBatch: 'sweep' }),
      ],
      [batch('sweep', 'ana', 1, 480), batch('small', 'ben', 1000, 5)],
      { ana: 2 },
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
    state: state([node('n1'), node('n2'), node('n3'), node('n4')], [batch('a1', 'ana', 1, 50), batch('b1', 'ben', 2, 50)], { ana: 3 }),
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
      { ana: 5 },
    ),
    expected: [a('n1', 'a1', 'a1-0')],
  },
  // --- sticky builds ---------------------------------------------------------------------------
  {
    name: 'sticky: a node keeps the batch it built when its owner is among the least served',
    state: state(
      [node('n1', { built: ['a1'] })],
      [batch('b1', 'ben', 1, 9), batch('a1', 'ana', 2, 9)],
      { ana: 1, ben: 1 },
    ),
    expected: [a('n1', 'a1', 'a1-0')],
  },
  {
    name: 'sticky is abandoned when another owner is starved',
    state: state(
      [node('n1', { built: ['a1'], lastBatch: 'a1' })],
      [batch('a1', 'ana', 1, 9), batch('b1', 'ben', 2, 9)],
      { ana: 2, ben: 0 },
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
    state: state([node('busy', { free: false }), node('paused', { free: false, lastBatch: 'a1', built: ['a1'] })], [batch('a1', 'ana', 1, 9)]),
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
    node('n4', { free: false }),
    node('n5', { buildFailed: ['a1'] }),
  ];
  const batches = [
    batch('a1', 'ana', 1, 4),
    batch('b1', 'ben', 2, 4),
    batch('c1', 'cat', 3, 4, { resources: { gpus: 1 } }),
    batch('a2', 'ana', 4, 4),
  ];
  const original = state(nodes, batches, { ana: 1 });
  const frozen = structuredClone(original);
  const first = schedule(original);
  assert.deepEqual(original, frozen);
  assert.equal(first.length, 4);
  assert.deepEqual(schedule(original), first);
  const shuffled = state([...nodes].reverse(), [batches[2], batches[0], batches[3], batches[1]], { ana: 1 });
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
    for (const n of nodes) n.free = !running.has(n.id);
    const held: Record<string, number> = {};
    for (const job of running.values()) held[job.owner] = (held[job.owner] ?? 0) + 1;
    assigned = schedule(state(nodes, batches, held));
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
