"""Whole configs: combine metadata and a description into a batch, and write it as YAML.

The written file follows the config format of distribute (``meta:``, exactly one of ``python:``,
``apptainer:`` or ``shell:``, optional ``slurm:``); settings left as ``None`` are omitted and
every file is written as ``{ path: ..., alias: ... }`` with a path relative to the config
file's folder when the file lies inside that folder or was given as a relative path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Optional

from ._version import __version__
from ._names import find_duplicates
from ._yaml import dump
from .model import Description, File, Job, Metadata, PathLike, Slurm

KINDS = ("python", "apptainer", "shell")
"""The job section kinds a config can have."""


@dataclass(frozen=True)
class Config:
    """A whole batch config. Build with :func:`python_config`, :func:`apptainer_config` or :func:`shell_config`."""

    kind: str
    meta: Metadata
    description: Description
    slurm: Optional[Slurm] = None


def _check_common(kind: str, meta: Metadata, desc: Description, slurm: Optional[Slurm]) -> None:
    if not isinstance(meta, Metadata):
        raise TypeError(f"{kind}_config needs metadata(...) first, got {meta!r}")
    if not isinstance(desc, Description):
        raise TypeError(f"{kind}_config needs description(...) second, got {desc!r}")
    if slurm is not None and not isinstance(slurm, Slurm):
        raise TypeError(f"slurm must be slurm(...), got {slurm!r}")
    shared = [f.name_on_node for f in desc.initialize.required_files]
    for j in desc.jobs:
        dups = find_duplicates(shared + [f.name_on_node for f in j.required_files])
        if dups:
            raise ValueError(f"job {j.name!r}: its required_files and the initialize required_files would both "
                             f"put {', '.join(map(repr, dups))} into input/; give one an alias")


def python_config(meta: Metadata, description: Description, slurm: Optional[Slurm] = None) -> Config:
    """A batch of python jobs: each job runs ``python3 <its file> <cores>`` on a node.

    Raises:
        ValueError: a job without ``file=``, or apptainer/shell settings in a python batch.
    """
    _check_common("python", meta, description, slurm)
    init = description.initialize
    if init.sif is not None or init.required_mounts or init.build is not None:
        raise ValueError("python batches use initialize(build_file=..., required_files=...); "
                         "sif/required_mounts are for apptainer_config, build for shell_config")
    for j in description.jobs:
        if j.file is None:
            raise ValueError(f"job {j.name!r}: python jobs need file=file('script.py')")
        if j.command is not None:
            raise ValueError(f"job {j.name!r}: command= is for shell_config; python jobs use file=")
    return Config("python", meta, description, slurm)


def apptainer_config(meta: Metadata, description: Description, slurm: Optional[Slurm] = None) -> Config:
    """A batch run in an apptainer container: ``initialize(sif=file('image.sif'), ...)``.

    Raises:
        ValueError: no ``sif``, or a job with ``file=``/``command=`` (apptainer jobs only have files).
    """
    _check_common("apptainer", meta, description, slurm)
    init = description.initialize
    if init.sif is None:
        hint = " (got build_file=; apptainer uses sif=)" if init.build_file is not None else ""
        raise ValueError(f"apptainer batches need initialize(sif=file('image.sif')){hint}")
    if init.build_file is not None or init.build is not None:
        raise ValueError("apptainer batches have no build step: the image is the build")
    for j in description.jobs:
        if j.file is not None or j.command is not None:
            raise ValueError(f"job {j.name!r}: apptainer jobs have only a name and required_files")
    return Config("apptainer", meta, description, slurm)


def shell_config(meta: Metadata, description: Description, slurm: Optional[Slurm] = None) -> Config:
    """A batch of plain command lines: ``job(name, command='...')``, ``initialize(build='...')``.

    Commands run with ``/bin/sh -c`` from the node's batch folder; ``$DISTRIBUTE_CORES`` holds
    the number of physical cores.

    Raises:
        ValueError: a job without ``command=``, or python/apptainer settings in a shell batch.
    """
    _check_common("shell", meta, description, slurm)
    init = description.initialize
    if init.build_file is not None or init.sif is not None or init.required_mounts:
        raise ValueError("shell batches use initialize(build='command', required_files=...)")
    for j in description.jobs:
        if j.command is None:
            raise ValueError(f"job {j.name!r}: shell jobs need command='...'")
    return Config("shell", meta, description, slurm)


def _path_for(f: File, base_dir: str) -> str:
    """The path to write for ``f`` in a config that lives in ``base_dir`` (absolute).

    Relative when the file was given relative or lies inside ``base_dir``; an absolute path
    pointing outside (``/data/mesh.h5``) stays absolute so moving the config does not break it.
    """
    absolute = f.absolute.replace(os.sep, "/")
    try:
        rel = os.path.relpath(f.absolute, base_dir)
    except ValueError:  # another drive on Windows: no relative path exists
        return absolute
    if os.path.isabs(f.path) and (rel == os.pardir or rel.startswith(os.pardir + os.sep)):
        return absolute
    return rel.replace(os.sep, "/")


def _file(f: File, base_dir: str) -> Dict[str, str]:
    out = {"path": _path_for(f, base_dir)}
    if f.alias is not None:
        out["alias"] = f.alias
    return out


def _slurm(s: Optional[Slurm]) -> Optional[Dict[str, Any]]:
    if s is None:
        return None
    out = {fl.name: getattr(s, fl.name) for fl in fields(s) if getattr(s, fl.name) is not None}
    return out or None


def _without_none(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _job(j: Job, kind: str, base_dir: str) -> Dict[str, Any]:
    return _without_none({
        "name": j.name,
        "file": _file(j.file, base_dir) if j.file is not None and kind == "python" else None,
        "command": j.command if kind == "shell" else None,
        "required_files": [_file(f, base_dir) for f in j.required_files],
        "request": dict(j.request) if j.request is not None else None,
        "slurm": _slurm(j.slurm),
    })


def to_dict(config: Config, base_dir: Optional[str] = None) -> Dict[str, Any]:
    """The config as plain dicts and lists, exactly what gets written.

    Args:
        base_dir: the folder the config file will be in; file paths are made relative to it.
            Default: the current working directory.
    """
    if not isinstance(config, Config):
        raise TypeError(f"expected a config from python_config/apptainer_config/shell_config, got {config!r}")
    base = os.path.abspath(base_dir if base_dir is not None else os.getcwd())
    m = config.meta
    meta = _without_none({
        "batch_name": m.batch_name,
        "namespace": m.namespace,
        "matrix": m.matrix,
        "capabilities": list(m.capabilities),
        "resources": dict(m.resources) or None,
        "request": dict(m.request) if m.request is not None else None,
        "max_retries": m.max_retries,
        "description": m.description,
        "share": m.share,
    })
    init = config.description.initialize
    initialize: Dict[str, Any] = {}
    if config.kind == "python" and init.build_file is not None:
        initialize["build_file"] = _file(init.build_file, base)
    if config.kind == "shell" and init.build is not None:
        initialize["build"] = init.build
    if config.kind == "apptainer" and init.sif is not None:
        initialize["sif"] = _file(init.sif, base)
    initialize["required_files"] = [_file(f, base) for f in init.required_files]
    if config.kind == "apptainer":
        initialize["required_mounts"] = list(init.required_mounts)
    jobs: List[Dict[str, Any]] = [_job(j, config.kind, base) for j in config.description.jobs]
    out: Dict[str, Any] = {"meta": meta, config.kind: {"initialize": initialize, "jobs": jobs}}
    batch_slurm = _slurm(config.slurm)
    if batch_slurm is not None:
        out["slurm"] = batch_slurm
    return out


def to_yaml(config: Config, base_dir: Optional[str] = None) -> str:
    """The config as YAML text (see :func:`to_dict` for ``base_dir``)."""
    header = (f"Generated by distribute_config {__version__}. Submit with: distribute add <this file>\n"
              f"{len(config.description.jobs)} {config.kind} job(s) in batch {config.meta.batch_name!r}.")
    return dump(to_dict(config, base_dir), header=header)


def write_config_to_file(config: Config, path: PathLike) -> str:
    """Write ``config`` as YAML to ``path`` (creating its folder) and return the absolute path.

    File paths in the config are written relative to the folder of ``path``, so the config and
    its files can be moved together.
    """
    target = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    text = to_yaml(config, base_dir=folder)
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, target)  # a half-written config is never left behind
    return target
