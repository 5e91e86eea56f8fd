/**
 * Commented starter configs written by `distribute template <kind>`. Each one validates as is once
 * the files it names exist beside it (a unit test proves it), and documents every key a user may
 * want, with the optional ones commented out.
 */
import type { SectionKind } from './job-sections.ts';

export interface Template {
  /** The YAML text. */
  text: string;
  /** Files the template names, relative to the config's folder (the user must provide them). */
  files: string[];
}

const META = (name: string, capabilities: string): string => `# distribute batch config. Validate it with:  distribute add --dry-run <this file>
# Relative paths are relative to this file's folder. A file is written either as a plain path
# (run.py) or as a map {path: run.py, alias: main.py}; the alias is its name on the node
# (default: the file's base name).
meta:
  batch_name: ${name.padEnd(20)} # folder-safe name; results are archived under <namespace>/<batch_name>/<job>/
  namespace: my-project            # groups your batches in the archive
  capabilities: ${`[${capabilities}]`.padEnd(18)} # tags a node must have, e.g. [python3, gfortran]; [] for none
  # description: what this sweep is for
  # matrix: "@you:matrix.org"      # Matrix user told when the batch finishes
  # resources:                     # minimum hardware of a node (any subset of these keys)
  #   cpus: 8                      # physical CPU cores
  #   memory_gb: 32                # total memory, GiB
  #   gpus: 1                      # number of GPUs
  #   gpu_memory_gb: 16            # memory of the largest GPU, GiB
  # request:                       # what EACH job occupies while it runs; a node runs as many as
  #   cpus: 1                      # fit (cores; the job sees this many as <cores>/$DISTRIBUTE_CORES)
  #   memory_gb: 4                 # memory reserved per job, GiB
  #   gpus: 0                      # GPUs pinned to the job alone (CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES)
  #                                # without a request every job has a whole node to itself
  # max_retries: 2                 # re-run a failed job up to this many times (default 0)
  # share: lab                     # let every user of the head read its jobs, logs and results (default private: you and admins)
`;

const SLURM = `
# Optional settings for 'distribute slurm' (run the batch on a SLURM cluster). Each job may carry
# its own 'slurm:' map that overrides these.
# slurm:
#   job_name: my-sweep
#   output: out.txt
#   nodes: 1
#   ntasks: 1
#   cpus_per_task: 4
#   mem_per_cpu: 2000M
#   hint: nomultithread
#   time: "01:00:00"
#   partition: general
#   account: my-account
#   mail_user: you@example.org
#   mail_type: END,FAIL
#   gres: gpu:1                    # a request already becomes --cpus-per-task, --mem and --gres=gpu:N;
#   gpus: 1                        #   what is written here wins over it
#   constraint: avx512
#   exclusive: true                # whole nodes
`;

const PYTHON = `${META('python_sweep', 'python3')}
python:
  initialize:
    # Run once on each node before the batch's jobs, as 'python3 build.py' (optional).
    build_file: build.py
    # Copied into every job's input/ folder.
    required_files:
      - { path: shared_input.txt }
  # Each job runs 'python3 <file> <number of physical cores>'. It reads its files from input/
  # and writes results into distribute_save/; everything there is archived, with stdout/stderr.
  jobs:
    - name: job_1                  # unique within the batch; becomes a folder name
      file: run.py
      required_files:
        - { path: params_1.json, alias: params.json }
    - name: job_2
      file: { path: run.py }
      required_files:
        - { path: params_2.json, alias: params.json }
      # slurm: { time: "02:00:00" }  # per-job SLURM override
      # request: { cpus: 4 }         # this job's own request (overrides meta.request key by key)
${SLURM}`;

const APPTAINER = `${META('apptainer_sweep', 'apptainer')}
apptainer:
  initialize:
    # The container image; each job runs
    #   apptainer run --nv --app distribute --bind <input>:/input:rw,<save>:/distribute_save:rw image.sif <cores>
    sif: solver.sif
    # Copied into every job's input/ folder (seen as /input in the container).
    required_files:
      - { path: mesh.h5 }
    # Container paths that get an empty writable folder bound (optional).
    required_mounts:
      - /solver/scratch
  jobs:
    - name: case_1                 # unique within the batch; becomes a folder name
      required_files:
        - { path: case_1.json, alias: case.json }
    - name: case_2
      required_files:
        - { path: case_2.json, alias: case.json }
      # slurm: { time: "02:00:00" }  # per-job SLURM override
${SLURM}`;

const SHELL = `${META('shell_sweep', '')}
shell:
  initialize:
    # Run once on each node before the batch's jobs, with /bin/sh -c from the batch folder (optional).
    build: "echo building"
    # Copied into every job's input/ folder.
    required_files:
      - data.csv
  # Each command runs with /bin/sh -c; \$DISTRIBUTE_CORES holds the node's physical core count.
  # Read inputs from input/, write results into distribute_save/ (everything there is archived).
  jobs:
    - name: run_1                  # unique within the batch; becomes a folder name
      command: "wc -l input/data.csv > distribute_save/lines.txt"
    - name: run_2
      command: "sort input/data.csv > distribute_save/sorted.csv"
${SLURM}`;

/** The starter config of each job section kind. */
export const TEMPLATES: Record<SectionKind, Template> = {
  python: { text: PYTHON, files: ['build.py', 'shared_input.txt', 'run.py', 'params_1.json', 'params_2.json'] },
  apptainer: { text: APPTAINER, files: ['solver.sif', 'mesh.h5', 'case_1.json', 'case_2.json'] },
  shell: { text: SHELL, files: ['data.csv'] },
};
