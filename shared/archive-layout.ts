/**
 * Names inside a job's archive folder that distribute itself writes, next to what the job left in
 * `distribute_save/`. Agents upload logs under these names; the head writes result.json.
 */
export const META_DIR = '_distribute';
export const RESULT_FILE = `${META_DIR}/result.json`;
export const STDOUT_FILE = `${META_DIR}/stdout.log`;
export const STDERR_FILE = `${META_DIR}/stderr.log`;
