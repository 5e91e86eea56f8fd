/** What a node advertises: declared tags plus detected hardware. */
import { z } from 'zod';
import { safeLabel } from '../names.ts';

/** Most tags one node may declare. */
export const MAX_TAGS = 64;

export const GpuSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  /** Memory in bytes (0 when unknown). */
  memoryBytes: z.number().nonnegative(),
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
