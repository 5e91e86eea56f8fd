/**
 * What this node can do: the admin's declared tags plus what is detected on the machine
 * (physical/logical cores, total memory, compute GPUs, tools on PATH). The agent sends the result
 * in `hello`; the head's scheduler matches batches against it.
 *
 * The decisions (which PATH entries to look in, which graphics controllers count as GPUs, how tags
 * are normalised) are pure exported functions so they can be tested without the hardware.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import type { Capabilities, Gpu } from '../../shared/protocol/capabilities.ts';

/** Tools whose presence on PATH becomes a tag of the same name. */
export const TOOL_TAGS: readonly string[] = ['python3', 'apptainer'];

/** Tag added when at least one compute GPU (NVIDIA or AMD) is present. */
export const GPU_TAG = 'gpu';

const MIB = 1024 ** 2;
/** `si.graphics()` shells out to lspci/nvidia-smi; a wedged driver must not block the agent's hello. */
const GRAPHICS_TIMEOUT_MS = 15_000;

/** Options for {@link detectCapabilities}. */
export interface DetectOptions {
  /** Look for {@link TOOL_TAGS} on PATH (default true). */
  detectTools?: boolean;
  /** Environment whose PATH (and PATHEXT on Windows) is searched; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Detects this machine's capabilities and merges them with the declared tags.
 * Never rejects: a probe that fails contributes nothing (no GPUs, fallback core counts from `os`).
 */
export async function detectCapabilities(declaredTags: string[], opts: DetectOptions = {}): Promise<Capabilities> {
  const env = opts.env ?? process.env;
  const [cpu, mem, controllers, tools] = await Promise.all([
    si.cpu().catch(() => null),
    si.mem().catch(() => null),
    withTimeout(si.graphics(), GRAPHICS_TIMEOUT_MS).then((g) => g?.controllers ?? [], () => []),
    opts.detectTools === false ? Promise.resolve([]) : toolTags(TOOL_TAGS, env),
  ]);

  const fallbackCores = os.availableParallelism();
  const logicalCores = positive(cpu?.cores) ?? fallbackCores;
  // Containers and some VMs report 0 physical cores; logical is the best honest guess then.
  const physicalCores = positive(cpu?.physicalCores) ?? logicalCores;
  const memoryBytes = positive(mem?.total) ?? os.totalmem();
  const gpus = gpusFromControllers(controllers);

  return {
    tags: normalizeTags([...declaredTags, ...tools, ...gpuTags(gpus)]),
    physicalCores,
    logicalCores,
    memoryBytes,
    gpus,
  };
}

/** Trims, drops empty entries, deduplicates and sorts (plain code-unit order, locale-independent). */
export function normalizeTags(tags: readonly string[]): string[] {
  const set = new Set(tags.map((tag) => tag.trim()).filter((tag) => tag.length > 0));
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The fields of a systeminformation graphics controller this module reads. */
export interface ControllerInfo {
  vendor?: string;
  vendorId?: string;
  model?: string;
  /** MiB, from lspci/the OS (for NVIDIA without nvidia-smi this may be the BAR size, an underestimate). */
  vram?: number | null;
  /** MiB, from nvidia-smi when available: the real figure. */
  memoryTotal?: number;
}

const NVIDIA = /nvidia|geforce|quadro|tesla/i;
const AMD = /advanced micro devices|\bamd\b|\bati\b|radeon|instinct/i;

/**
 * Whether a controller is a compute GPU: NVIDIA or AMD (by PCI vendor id, vendor name, or model when
 * the vendor is blank). Intel integrated graphics, server BMC adapters (ASPEED, Matrox) and virtual
 * display adapters are not: counting them would let a `gpus: 1` batch land on a machine that
 * cannot run it.
 */
export function isComputeGpu(controller: ControllerInfo): boolean {
  const id = (controller.vendorId ?? '').toLowerCase().replace(/^0x/, '');
  if (id === '10de' || id === '1002') return true;
  const text = `${controller.vendor ?? ''} ${controller.model ?? ''}`;
  return NVIDIA.test(text) || AMD.test(text);
}

/** Turns systeminformation controllers into the protocol's GPUs, keeping compute GPUs only. */
export function gpusFromControllers(controllers: readonly ControllerInfo[]): Gpu[] {
  // Device indices count per vendor in the order found (PCI bus order, as lspci and nvidia-smi list them).
  const perVendor = new Map<string, number>();
  return controllers.filter(isComputeGpu).map((controller) => {
    const mib = positive(controller.memoryTotal) ?? positive(controller.vram ?? undefined) ?? 0;
    const vendor = vendorName(controller);
    const index = perVendor.get(vendor) ?? 0;
    perVendor.set(vendor, index + 1);
    return {
      vendor,
      model: (controller.model ?? '').trim(),
      memoryBytes: Math.round(mib * MIB),
      index,
    };
  });
}

/** `['gpu']` when a compute GPU is present, else `[]`. */
export function gpuTags(gpus: readonly Gpu[]): string[] {
  return gpus.some((gpu) => gpu.vendor === 'NVIDIA' || gpu.vendor === 'AMD') ? [GPU_TAG] : [];
}

/**
 * The full paths at which `name` would be found on `pathEnv`, in search order. Relative and empty
 * entries (which a shell would resolve against the current folder) are skipped: a tag must not
 * depend on where the agent was started. On Windows every PATHEXT extension is tried.
 */
export function pathCandidates(
  name: string,
  pathEnv: string | undefined,
  platform: NodeJS.Platform = process.platform,
  pathExt: string | undefined = undefined,
): string[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const dirs = (pathEnv ?? '').split(platform === 'win32' ? ';' : ':').filter((dir) => dir !== '' && p.isAbsolute(dir));
  const extensions = platform === 'win32' ? ['', ...(pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const out: string[] = [];
  for (const dir of dirs) for (const ext of extensions) out.push(p.join(dir, name + ext));
  return [...new Set(out)];
}

/** The first executable regular file named `name` on the PATH of `env`, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const pathEnv = env.PATH ?? env.Path;
  for (const candidate of pathCandidates(name, pathEnv, process.platform, env.PATHEXT)) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** The subset of `tools` found on PATH, as tags. */
export async function toolTags(tools: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const found = await Promise.all(tools.map(async (tool) => ((await findOnPath(tool, env)) ? tool : null)));
  return found.filter((tool): tool is string => tool !== null);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    // Directories are "executable" too (searchable); only files count.
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function vendorName(controller: ControllerInfo): string {
  const id = (controller.vendorId ?? '').toLowerCase().replace(/^0x/, '');
  const text = `${controller.vendor ?? ''} ${controller.model ?? ''}`;
  if (id === '10de' || NVIDIA.test(text)) return 'NVIDIA';
  if (id === '1002' || AMD.test(text)) return 'AMD';
  return (controller.vendor ?? '').trim();
}

function positive(n: number | undefined | null): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
