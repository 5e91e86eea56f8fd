/**
 * What a node advertises: declared tags plus its hardware, as far as it offers it to jobs (the
 * detected cores, memory and GPUs, or less when the agent was told `--cpus`, `--memory-gb`,
 * `--gpus`). The scheduler packs jobs into exactly this.
 */
import { z } from 'zod';
import { safeLabel } from '../name-schemas.ts';

/** Most tags one node may declare. */
export const MAX_TAGS = 64;

export const GpuSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  /** Memory in bytes (0 when unknown). */
  memoryBytes: z.number().nonnegative(),
  /**
   * Device index among the node's GPUs of the same vendor, as CUDA_VISIBLE_DEVICES (NVIDIA, PCI bus
   * order) or ROCR_VISIBLE_DEVICES (AMD) name it; the agent pins jobs to GPUs by it.
   */
  index: z.number().int().nonnegative().optional(),
});
export type Gpu = z.infer<typeof GpuSchema>;

export const CapabilitiesSchema = z.object({
  /** Declared and detected tags (`python3`, `gfortran`, `gpu`, ...). */
  tags: z.array(safeLabel).max(MAX_TAGS),
  physicalCores: z.number().int().nonnegative(),
  logicalCores: z.number().int().nonnegative(),
  memoryBytes: z.number().nonnegative(),
  gpus: z.array(GpuSchema),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;
