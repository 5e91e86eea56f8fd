/**
 * What this node offers to jobs: its detected hardware, or less when the person at the desk keeps
 * some for themselves (`distribute agent --cpus N --memory-gb M --gpus LIST`, the tray's settings).
 * The agent advertises the offer as its capabilities, so the head packs jobs into exactly that,
 * and pins each job to its own GPUs. Pure functions, tested without hardware.
 */
import type { Capabilities, Gpu } from '../../shared/protocol/capabilities.ts';

/** Limits on what the node offers; absent = everything detected. */
export interface Offer {
  /** Cores offered (at most the detected physical cores). */
  cpus?: number;
  /** Memory offered in GiB (at most the detected memory). */
  memoryGb?: number;
  /** Positions in the node's GPU list offered to jobs (`[]` = none). */
  gpus?: number[];
}

const GIB = 1024 ** 3;

/** Parses `--cpus`: a positive whole number. */
export function parseCpus(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) return { ok: false, error: `'${text}' is not a whole number of cores (1 or more)` };
  return { ok: true, value: n };
}

/** Parses `--memory-gb`: a positive number of GiB. */
export function parseMemoryGb(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) return { ok: false, error: `'${text}' is not a positive number of GiB` };
  return { ok: true, value: n };
}

/**
 * Parses `--gpus`: comma-separated positions in the node's GPU list (`0,2`), or `none`. Positions
 * are those `distribute agent` prints at start and the status page lists (GPU 0, GPU 1, ...).
 */
export function parseGpuList(text: string): { ok: true; value: number[] } | { ok: false; error: string } {
  const t = text.trim();
  if (t === 'none' || t === '') return { ok: true, value: [] };
  const parts = t.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) return { ok: false, error: `'${text}' is not a list of GPU numbers like 0,1 (or none)` };
  const value = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  return { ok: true, value };
}

/**
 * The capabilities the node advertises under `offer`, with a note for every limit that asked
 * for more than the machine has (the detected amount is offered then).
 */
export function applyOffer(detected: Capabilities, offer: Offer): { capabilities: Capabilities; notes: string[] } {
  const notes: string[] = [];
  let physicalCores = detected.physicalCores;
  if (offer.cpus !== undefined) {
    if (offer.cpus > detected.physicalCores) notes.push(`--cpus ${offer.cpus} is more than the ${detected.physicalCores} cores detected; offering ${detected.physicalCores}`);
    else physicalCores = offer.cpus;
  }
  let memoryBytes = detected.memoryBytes;
  if (offer.memoryGb !== undefined) {
    const want = Math.floor(offer.memoryGb * GIB);
    if (want > detected.memoryBytes) notes.push(`--memory-gb ${offer.memoryGb} is more than the ${(detected.memoryBytes / GIB).toFixed(1)} GiB detected; offering all of it`);
    else memoryBytes = want;
  }
  let gpus: Gpu[] = detected.gpus;
  if (offer.gpus !== undefined) {
    const unknown = offer.gpus.filter((i) => i >= detected.gpus.length);
    if (unknown.length) notes.push(`--gpus ${unknown.join(',')}: no such GPU (this node has ${detected.gpus.length}); ignored`);
    gpus = offer.gpus.filter((i) => i < detected.gpus.length).map((i) => detected.gpus[i]);
  }
  return { capabilities: { ...detected, physicalCores, logicalCores: physicalCores === detected.physicalCores ? detected.logicalCores : physicalCores, memoryBytes, gpus }, notes };
}

/**
 * Environment that pins a job to `gpus` (the GPUs it was given, from the node's offered list).
 * NVIDIA: CUDA_VISIBLE_DEVICES (with CUDA_DEVICE_ORDER=PCI_BUS_ID so indices mean what
 * nvidia-smi shows); AMD: ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES. A job given no GPU of a
 * vendor gets that vendor's variables empty, so it cannot touch a GPU another job holds.
 */
export function gpuEnv(gpus: readonly Gpu[]): Record<string, string> {
  const list = (vendor: string) => gpus.filter((g) => g.vendor === vendor).map((g) => String(g.index ?? 0)).join(',');
  const amd = list('AMD');
  return { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: list('NVIDIA'), ROCR_VISIBLE_DEVICES: amd, HIP_VISIBLE_DEVICES: amd };
}

/** Positions in `offered` (the node's offered GPU list) not held by any run, lowest first. */
export function freeGpuSlots(offered: number, held: readonly (readonly number[])[]): number[] {
  const taken = new Set(held.flat());
  return Array.from({ length: offered }, (_, i) => i).filter((i) => !taken.has(i));
}
