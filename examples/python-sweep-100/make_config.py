"""Generate distribute-jobs.yaml: 100 jobs, one per value of r in the logistic map x -> r x (1 - x).

Run it from anywhere:  python3 examples/python-sweep-100/make_config.py
It writes params/<job>.json (one per job) and distribute-jobs.yaml beside this script; then
`distribute add examples/python-sweep-100/distribute-jobs.yaml` submits the batch.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import distribute_config as dc
except ImportError:  # not installed: use the package from this repository's python/ folder
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
    import distribute_config as dc

JOBS = 100
R_MIN, R_MAX = 2.5, 4.0


def main(out_dir: str = HERE) -> str:
    """Write the parameter files and the config into ``out_dir``; return the config's path."""
    params = [
        {"r": round(R_MIN + (R_MAX - R_MIN) * i / (JOBS - 1), 6), "x0": 0.2, "transient": 2000, "steps": 20000}
        for i in range(JOBS)
    ]
    jobs = dc.sweep(
        params,
        script=dc.file(os.path.join(HERE, "run.py")),
        out_dir=os.path.join(out_dir, "params"),
        name=lambda i, p: f"r_{p['r']:.4f}",
    )
    meta = dc.metadata(
        namespace="examples",
        batch_name="logistic_map_sweep",
        capabilities=["python3"],
        matrix=None,
        description="Lyapunov exponent of the logistic map for 100 values of r",
    )
    init = dc.initialize(build_file=dc.file(os.path.join(HERE, "build.py")), required_files=[])
    config = dc.python_config(meta, dc.description(init, jobs), slurm=dc.slurm(ntasks=1, time="00:05:00"))
    return dc.write_config_to_file(config, os.path.join(out_dir, "distribute-jobs.yaml"))


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else HERE))
