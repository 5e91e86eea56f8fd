/** Batches: create (then upload inputs, then submit), show, kill, remove. */
import { Router } from 'express';
import { BatchSpecSchema } from '../../../shared/batch/spec.ts';
import type { BatchDetail, BatchView, CreateBatchRefusal, CreatedBatch, KilledBatch, RemovedBatch, RetriedBatch, RetryRefusal } from '../../../shared/api/head-api.ts';
import { routes } from '../../../shared/api/routes.ts';
import { findReadable } from '../../core/batch-access.ts';
import { batchView, jobView } from '../../core/views.ts';
import { userOf } from '../auth.ts';
import type { AppDeps } from '../deps.ts';
import { HttpError, unwrap } from '../http-error.ts';

export function batchesRouter(deps: AppDeps): Router {
  const r = Router();
  const { cluster } = deps;

  r.post(routes.batches(), async (req, res) => {
    const principal = userOf(req);
    const parsed = BatchSpecSchema.safeParse(req.body?.spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `invalid batch spec: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown problem'}`);
    }
    const nodes = cluster.registry.compatibility(parsed.data);
    if (!nodes.some((n) => n.ok) && !req.body?.force) {
      const why = nodes.length ? nodes.map((n) => `${n.node}: ${n.reasons.join('; ')}`).join('\n') : 'no node has ever joined this head';
      res.status(422).json({ error: `no node can run batch '${parsed.data.name}'`, nodes } satisfies CreateBatchRefusal);
      deps.log(`refused batch ${parsed.data.namespace}/${parsed.data.name}: ${why}`);
      return;
    }
    const created = unwrap(await cluster.commands.create(principal, parsed.data, req.body?.replace === true));
    res.status(201).json({ id: created.doc.record.id, missing: created.missing, replaced: created.replaced, nodes } satisfies CreatedBatch);
  });

  r.post('/api/batches/:id/submit', async (req, res) => {
    const doc = unwrap(await cluster.commands.submit(userOf(req), req.params.id));
    res.json(batchView(doc) satisfies BatchView);
  });

  r.get('/api/batches/:ref', async (req, res) => {
    const doc = unwrap(findReadable(cluster.book.batches.values(), userOf(req), req.params.ref));
    // `?jobs=none`: the batch alone (`distribute wait`'s polls), without a view of every job.
    if (req.query.jobs === 'none') {
      res.json(batchView(doc) satisfies BatchView);
      return;
    }
    const now = deps.now();
    const jobs = await Promise.all(doc.jobs.map(async (j) => {
      const view = jobView(j, now);
      if (j.status.state !== 'done' || req.query.files === undefined) return view;
      const meta = await deps.archive.readResult(doc.record.namespace, doc.record.name, j.name);
      return { ...view, bytes: meta?.bytes ?? null, files: meta?.files.length ?? null };
    }));
    res.json({ ...batchView(doc), jobs } satisfies BatchDetail);
  });

  r.post('/api/batches/:ref/kill', async (req, res) => {
    const principal = userOf(req);
    // Resolved among the batches the caller may read, so another user's private batch is a 404.
    const found = unwrap(findReadable(cluster.book.batches.values(), principal, req.params.ref));
    const done = unwrap(await cluster.commands.kill(principal, found.record.id));
    res.json({ ...batchView(done.doc), cancelled: done.cancelled, killing: done.killing } satisfies KilledBatch);
  });

  /** Body `{ failedOnly?: boolean, jobs?: string[] }`: re-queue failed (or cancelled) jobs. */
  r.post('/api/batches/:ref/retry', async (req, res) => {
    const principal = userOf(req);
    const body = req.body ?? {};
    const jobs = body.jobs;
    if (jobs !== undefined && (!Array.isArray(jobs) || !jobs.every((j: unknown) => typeof j === 'string'))) throw new HttpError(400, 'jobs must be a list of job names');
    if (body.failedOnly !== undefined && typeof body.failedOnly !== 'boolean') throw new HttpError(400, 'failedOnly must be true or false');
    const found = unwrap(findReadable(cluster.book.batches.values(), principal, req.params.ref));
    const done = unwrap(await cluster.commands.retry(principal, found.record.id, { failedOnly: body.failedOnly === true, names: jobs }));
    if (done.missing) {
      res.status(409).json({ error: done.missing.error, missing: done.missing.files } satisfies RetryRefusal);
      return;
    }
    res.json({ ...batchView(done.doc), retried: done.retried } satisfies RetriedBatch);
  });

  r.delete('/api/batches/:ref/archive', async (req, res) => {
    const principal = userOf(req);
    const doc = unwrap(findReadable(cluster.book.batches.values(), principal, req.params.ref));
    if (!cluster.book.canManage(principal, doc)) throw new HttpError(403, `batch '${doc.record.namespace}/${doc.record.name}' belongs to ${doc.record.owner}`);
    if (doc.record.phase === 'active') await cluster.commands.kill(principal, doc.record.id);
    await cluster.commands.remove(doc, principal.name);
    res.json({ removed: `${doc.record.namespace}/${doc.record.name}`, id: doc.record.id } satisfies RemovedBatch);
  });

  return r;
}
