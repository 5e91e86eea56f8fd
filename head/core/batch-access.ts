/**
 * Who may read a batch: its jobs, logs, manifest and files. The owner and admins always may;
 * every other user only when the batch's config says `meta.share: lab`. Batches a principal may
 * not read are invisible to it: lookups answer 404 exactly as for a batch that does not exist,
 * and listings leave them out, so neither names nor existence leak.
 */
import type { BatchDoc, Principal } from '../state/types.ts';
import { fail, type Result } from './result.ts';

/** Whether `principal` may read `doc` (jobs, logs, files). Agents read through their own routes. */
export function canRead(principal: Principal, doc: BatchDoc): boolean {
  if (principal.kind === 'admin') return true;
  if (principal.kind !== 'user') return false;
  return doc.record.owner === principal.name || doc.spec.share === 'lab';
}

/**
 * Find a batch `principal` may read by id, `namespace/name`, or a name unique among the batches it
 * may read. Unreadable batches take no part, so a name of another user's private batch neither
 * matches nor makes a name ambiguous.
 */
export function findReadable(batches: Iterable<BatchDoc>, principal: Principal, ref: string): Result<BatchDoc> {
  const visible = [...batches].filter((d) => canRead(principal, d));
  const byId = visible.find((d) => d.record.id === ref);
  if (byId) return { ok: true, value: byId };
  const slash = ref.indexOf('/');
  const matches = visible.filter((d) => (slash >= 0 ? `${d.record.namespace}/${d.record.name}` === ref : d.record.name === ref));
  if (matches.length === 0) return fail('not-found', `no batch '${ref}'`);
  if (matches.length > 1) return fail('conflict', `'${ref}' names several batches (${matches.map((d) => `${d.record.namespace}/${d.record.name}`).join(', ')}): use namespace/name or the id`);
  return { ok: true, value: matches[0] };
}
