"""The sweep helper: one job per parameter set, each with its own parameters file.

A parameter sweep is the common case (a solver run per Reynolds number, a training run per
learning rate). ``sweep`` turns a list of dicts into jobs whose ``input/params.json`` holds that
job's parameters, so one job script serves the whole sweep.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence

from ._names import check_name, find_duplicates
from .model import FileLike, Job, PathLike, Slurm, as_file, as_files, file, job

NameFn = Callable[[int, Mapping[str, Any]], str]
"""Makes a job's name from its index in the sweep and its parameters."""


def default_name(count: int) -> NameFn:
    """Names ``job_0`` ... ``job_99``, zero-padded to the width of ``count - 1`` so they sort in order."""
    width = len(str(max(count - 1, 0)))
    return lambda i, _params: f"job_{i:0{width}d}"


def sweep(
    params: Sequence[Mapping[str, Any]],
    script: Optional[FileLike],
    out_dir: PathLike,
    name: Optional[NameFn] = None,
    params_alias: str = "params.json",
    required_files: Optional[Iterable[FileLike]] = None,
    slurm: Optional[Slurm] = None,
    command: Optional[str] = None,
) -> List[Job]:
    """Make one job per parameter dict, writing each job's parameters to a JSON file.

    For job ``i`` with name ``n = name(i, params[i])`` the file ``<out_dir>/<n>.json`` is written
    (sorted keys, indented) and given to the job with alias ``params_alias``, so the job reads it
    as ``input/params.json``. Names are all checked before any file is written.

    Args:
        params: the parameter sets; each must be JSON-serializable.
        script: python batches: the job script every job runs. ``None`` for apptainer jobs, or
            for shell jobs together with ``command=``.
        out_dir: folder for the parameter files (created if missing), usually beside the config.
        name: ``name(i, p)`` gives job ``i``'s name; default ``job_000``, ``job_001``, ...
        params_alias: the parameter file's name in the job's ``input/`` folder.
        required_files: more files every job of the sweep gets (besides initialize's).
        slurm: SLURM overrides for every job of the sweep.
        command: shell batches: the command line every job runs.

    Returns:
        The jobs, in the order of ``params``, ready for :func:`description`.

    Raises:
        ValueError: a bad or duplicate job name, or parameters that are not JSON-serializable.
    """
    if isinstance(params, Mapping):
        raise TypeError("params must be a list of dicts (one per job), not a single dict")
    plist = list(params)
    make_name = name if name is not None else default_name(len(plist))
    names: List[str] = []
    for i, p in enumerate(plist):
        if not isinstance(p, Mapping):
            raise TypeError(f"params[{i}] must be a dict, got {type(p).__name__}: {p!r}")
        names.append(check_name(f"job name for params[{i}]", make_name(i, p)))
    dups = find_duplicates(names)
    if dups:
        raise ValueError(f"the name function gives several jobs the name(s) {', '.join(map(repr, dups[:5]))}; "
                         "include the varying parameters or the index in the name")
    check_name("params_alias", params_alias)
    texts: List[str] = []
    for i, p in enumerate(plist):
        try:
            texts.append(json.dumps(p, indent=2, sort_keys=True, allow_nan=False) + "\n")
        except (TypeError, ValueError) as err:
            raise ValueError(f"params[{i}] (job {names[i]!r}) cannot be written as JSON: {err}") from err
    script_file = None if script is None else as_file(script, "sweep script")
    extra = as_files(required_files, "sweep required_files")
    folder = os.path.abspath(os.fspath(out_dir))
    os.makedirs(folder, exist_ok=True)
    jobs: List[Job] = []
    for job_name, text in zip(names, texts):
        path = os.path.join(folder, f"{job_name}.json")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        params_file = file(path, alias=params_alias)
        jobs.append(job(job_name, file=script_file, required_files=[params_file, *extra], slurm=slurm,
                        command=command))
    return jobs
