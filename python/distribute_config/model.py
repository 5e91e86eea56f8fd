"""The building blocks of a config: files, metadata, SLURM settings, the initialize step, jobs.

Each lower-case function (``file``, ``metadata``, ...) checks its arguments and returns a frozen
dataclass; the ``*_config`` functions in ``config.py`` combine them into a whole batch. Checks
happen as early as possible so a mistake in a sweep script points at the line that made it.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._names import check_name, check_str_list, find_duplicates

PathLike = Union[str, "os.PathLike[str]"]
"""A path given as a string or a ``pathlib.Path``."""

MAX_RETRIES_LIMIT = 100
"""Upper bound for ``max_retries``, the same as distribute's config parser."""

_MATRIX_ID = re.compile(r"^@[^:\s]+:\S+$")

RESOURCE_KEYS: Tuple[str, ...] = ("cpus", "memory_gb", "gpus", "gpu_memory_gb")
"""Keys accepted in ``metadata(resources=...)``: minimum hardware a node must have."""

REQUEST_KEYS: Tuple[str, ...] = ("cpus", "memory_gb", "gpus")
"""Keys accepted in ``metadata(request=...)`` and ``job(request=...)``: what one job occupies."""


def check_request(what: str, request: Optional[Mapping[str, Union[int, float]]]) -> Optional[Dict[str, Union[int, float]]]:
    """Validate a request (whole ``cpus`` >= 1, ``memory_gb`` > 0, whole ``gpus`` >= 0); None stays None."""
    if request is None:
        return None
    if not isinstance(request, Mapping):
        raise TypeError(f"{what} must be a dict like {{'cpus': 1, 'memory_gb': 2}}, got {request!r}")
    out: Dict[str, Union[int, float]] = {}
    for key, value in request.items():
        if key not in REQUEST_KEYS:
            raise ValueError(f"unknown {what} key {key!r}; use {', '.join(REQUEST_KEYS)}")
        if value is None:
            continue
        number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if key == "memory_gb":
            if not number or value <= 0:
                raise ValueError(f"{what} memory_gb must be a number > 0, got {value!r}")
            out[key] = value
            continue
        least = 1 if key == "cpus" else 0
        if not number or not float(value).is_integer() or value < least:
            raise ValueError(f"{what} {key} must be a whole number >= {least}, got {value!r}")
        out[key] = int(value)
    return out


@dataclass(frozen=True)
class File:
    """A file sent with the batch. Build with :func:`file`.

    ``path`` is the path as given; ``absolute`` is that path resolved against the working
    directory when :func:`file` was called (so a later ``os.chdir`` changes nothing); ``alias``
    is the file's name on the compute node (``None``: its base name).
    """

    path: str
    absolute: str
    alias: Optional[str] = None

    @property
    def name_on_node(self) -> str:
        """The name the file gets in the job's ``input/`` folder."""
        return self.alias if self.alias is not None else os.path.basename(self.absolute)


FileLike = Union[File, str, "os.PathLike[str]"]
"""Where a ``File`` is expected a plain path is also accepted and wrapped with :func:`file`."""


def file(path: PathLike, alias: Optional[str] = None) -> File:
    """Name a file to send with the batch.

    Args:
        path: where the file is on this machine. A relative path is relative to the current
            working directory (as everywhere in Python); in the written config it becomes
            relative to the config file's folder.
        alias: the file's name on the compute node, e.g. ``"params.json"`` so every job of a
            sweep reads the same name. Default: the file's base name.

    Raises:
        ValueError: the alias (or the base name, without alias) is not a safe file name.
    """
    text = os.fspath(path)
    if not isinstance(text, str) or text == "":
        raise TypeError(f"file path must be a non-empty string or path, got {path!r}")
    absolute = os.path.abspath(text)
    if alias is not None:
        check_name("file alias", alias)
    else:
        check_name(f"file name (base name of {text!r}; give alias= to rename)", os.path.basename(absolute))
    return File(path=text, absolute=absolute, alias=alias)


def as_file(value: FileLike, what: str = "file") -> File:
    """Return ``value`` as a :class:`File`, wrapping a plain path with :func:`file`."""
    if isinstance(value, File):
        return value
    if isinstance(value, (str, os.PathLike)):
        return file(value)
    raise TypeError(f"{what} must be file(...) or a path, got {type(value).__name__}: {value!r}")


def as_files(values: Optional[Iterable[FileLike]], what: str) -> List[File]:
    """Return a list of files (``None`` is empty), refusing two files with the same name on the node."""
    if values is None:
        return []
    if isinstance(values, (str, File, os.PathLike)):
        raise TypeError(f"{what} must be a list of files; write [{values!r}]")
    files = [as_file(v, what) for v in values]
    dups = find_duplicates([f.name_on_node for f in files])
    if dups:
        raise ValueError(f"{what}: several files would be named {', '.join(map(repr, dups))} on the node; "
                         "give them different aliases")
    return files


@dataclass(frozen=True)
class Slurm:
    """SLURM settings for ``distribute slurm``. Build with :func:`slurm`; unset fields are ``None``."""

    job_name: Optional[str] = None
    output: Optional[str] = None
    nodes: Optional[int] = None
    ntasks: Optional[int] = None
    cpus_per_task: Optional[int] = None
    mem_per_cpu: Optional[str] = None
    hint: Optional[str] = None
    time: Optional[str] = None
    partition: Optional[str] = None
    account: Optional[str] = None
    mail_user: Optional[str] = None
    mail_type: Optional[str] = None
    gres: Optional[str] = None
    gpus: Optional[str] = None
    constraint: Optional[str] = None
    exclusive: Optional[bool] = None


_SLURM_INTS = ("nodes", "ntasks", "cpus_per_task")


def slurm(
    job_name: Optional[str] = None,
    output: Optional[str] = None,
    nodes: Optional[int] = None,
    ntasks: Optional[int] = None,
    cpus_per_task: Optional[int] = None,
    mem_per_cpu: Optional[Union[str, int]] = None,
    hint: Optional[str] = None,
    time: Optional[str] = None,
    partition: Optional[str] = None,
    account: Optional[str] = None,
    mail_user: Optional[str] = None,
    mail_type: Optional[str] = None,
    gres: Optional[str] = None,
    gpus: Optional[Union[str, int]] = None,
    constraint: Optional[str] = None,
    exclusive: Optional[bool] = None,
) -> Slurm:
    """SLURM settings: batch-wide (``python_config(..., slurm=...)``) or one job's overrides.

    They become ``#SBATCH --<name>`` lines (``cpus_per_task`` -> ``--cpus-per-task``), e.g.
    ``slurm(ntasks=4, time="01:00:00", mem_per_cpu="2G")``. ``mem_per_cpu`` given as a number is
    taken as megabytes (SLURM's default unit). ``gres`` (``"gpu:a100:2"``), ``gpus`` (``2`` or
    ``"a100:2"``) and ``constraint`` (``"avx512"``) pass through; ``exclusive=True`` asks for whole
    nodes. A job's ``request`` already becomes ``--cpus-per-task``, ``--mem`` and ``--gres=gpu:N``;
    settings given here win over it. Omitted settings are left out of the config.
    """
    if mem_per_cpu is not None and not isinstance(mem_per_cpu, bool) and isinstance(mem_per_cpu, int):
        mem_per_cpu = str(mem_per_cpu)
    if gpus is not None and not isinstance(gpus, bool) and isinstance(gpus, int):
        gpus = str(gpus)
    if exclusive is not None and not isinstance(exclusive, bool):
        raise ValueError(f"slurm exclusive must be True or False, got {exclusive!r}")
    values = dict(job_name=job_name, output=output, nodes=nodes, ntasks=ntasks, cpus_per_task=cpus_per_task,
                  mem_per_cpu=mem_per_cpu, hint=hint, time=time, partition=partition, account=account,
                  mail_user=mail_user, mail_type=mail_type, gres=gres, gpus=gpus, constraint=constraint)
    for key, value in values.items():
        if value is None:
            continue
        if key in _SLURM_INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"slurm {key} must be a positive whole number, got {value!r}")
        elif not isinstance(value, str) or value == "" or "\n" in value:
            raise ValueError(f"slurm {key} must be a non-empty one-line string, got {value!r}")
    return Slurm(exclusive=exclusive, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Metadata:
    """The ``meta:`` section. Build with :func:`metadata`."""

    namespace: str
    batch_name: str
    capabilities: Tuple[str, ...]
    matrix: Optional[str] = None
    resources: Mapping[str, Union[int, float]] = field(default_factory=dict)
    max_retries: Optional[int] = None
    description: Optional[str] = None
    share: Optional[str] = None
    request: Optional[Mapping[str, Union[int, float]]] = None


SHARE_VALUES = ("private", "lab")
"""Who may read a batch on the head: ``private`` (its owner and admins) or ``lab`` (every user)."""


def metadata(
    namespace: str,
    batch_name: str,
    capabilities: Iterable[str],
    matrix: Optional[str] = None,
    resources: Optional[Mapping[str, Union[int, float]]] = None,
    max_retries: Optional[int] = None,
    description: Optional[str] = None,
    share: Optional[str] = None,
    request: Optional[Mapping[str, Union[int, float]]] = None,
) -> Metadata:
    """Describe the batch: where its results go and what a node needs to run it.

    Args:
        namespace: groups batches in the archive (``<namespace>/<batch_name>/<job>/``).
        batch_name: the batch's name, unique within the namespace.
        capabilities: tags a node must all advertise, e.g. ``["python3", "gfortran"]``.
        matrix: Matrix user told when the batch finishes, e.g. ``"@you:matrix.org"``.
        resources: minimum hardware: any of ``cpus``, ``memory_gb``, ``gpus``, ``gpu_memory_gb``.
        max_retries: times a failed job is queued again (lost jobs always run again).
        description: free text shown in status listings.
        share: ``"lab"`` lets every user of the head read the batch's jobs, logs and results;
            ``"private"`` (the default when omitted) keeps them to the owner and admins.
        request: what each job occupies while it runs: any of ``cpus``, ``memory_gb``, ``gpus``
            (e.g. ``{"cpus": 1}``); a node runs as many jobs as fit. Without it every job has a
            whole node to itself, as in the original distribute.

    Raises:
        ValueError: an unsafe name, an unknown resource or request key, a negative number.
    """
    check_name("namespace", namespace)
    check_name("batch_name", batch_name)
    caps = check_str_list("capabilities", capabilities)
    if matrix is not None and (not isinstance(matrix, str) or not _MATRIX_ID.fullmatch(matrix)):
        raise ValueError(f"matrix must be a Matrix user id like '@user:matrix.org', got {matrix!r}")
    res: Dict[str, Union[int, float]] = {}
    for key, value in (resources or {}).items():
        if key not in RESOURCE_KEYS:
            raise ValueError(f"unknown resource {key!r}; use {', '.join(RESOURCE_KEYS)}")
        if value is None:
            continue
        whole = key in ("cpus", "gpus")
        valid = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
                 and (value >= 0 if key == "gpus" else value > 0)
                 and (not whole or float(value).is_integer()))
        if not valid:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"resource {key} must be {kind} {'>= 0' if key == 'gpus' else '> 0'}, got {value!r}")
        res[key] = int(value) if whole else value
    if max_retries is not None and (isinstance(max_retries, bool) or not isinstance(max_retries, int)
                                    or not 0 <= max_retries <= MAX_RETRIES_LIMIT):
        raise ValueError(f"max_retries must be a whole number from 0 to {MAX_RETRIES_LIMIT}, got {max_retries!r}")
    if description is not None and not isinstance(description, str):
        raise TypeError(f"description must be a string, got {description!r}")
    if share is not None and share not in SHARE_VALUES:
        raise ValueError(f"share must be 'private' or 'lab', got {share!r}")
    return Metadata(namespace=namespace, batch_name=batch_name, capabilities=tuple(caps), matrix=matrix,
                    resources=res, max_retries=max_retries, description=description, share=share,
                    request=check_request("request", request))


@dataclass(frozen=True)
class Initialize:
    """The ``initialize:`` step of a batch. Build with :func:`initialize`.

    Which fields may be set depends on the batch kind: python uses ``build_file``, apptainer
    ``sif`` and ``required_mounts``, shell ``build``; all use ``required_files``.
    """

    build_file: Optional[File] = None
    required_files: Tuple[File, ...] = ()
    sif: Optional[File] = None
    required_mounts: Tuple[str, ...] = ()
    build: Optional[str] = None


def initialize(
    build_file: Optional[FileLike] = None,
    required_files: Optional[Iterable[FileLike]] = None,
    sif: Optional[FileLike] = None,
    required_mounts: Optional[Iterable[str]] = None,
    build: Optional[str] = None,
) -> Initialize:
    """What every node does and gets before running the batch's jobs.

    Args:
        build_file: python batches: a script run once per node (``python3 <build_file>``).
        required_files: files copied into every job's ``input/`` folder.
        sif: apptainer batches: the container image.
        required_mounts: apptainer batches: paths inside the container that get an empty
            writable folder bound, e.g. ``["/solver/tmp"]``.
        build: shell batches: a command line run once per node with ``/bin/sh -c``.
    """
    mounts = check_str_list("required_mounts", required_mounts)
    for mount in mounts:
        if not mount.startswith("/") or "\x00" in mount:
            raise ValueError(f"required_mounts entries must be absolute paths inside the container, got {mount!r}")
        if "," in mount or ":" in mount:
            raise ValueError(f"mount {mount!r} must not contain ',' or ':' (they separate apptainer --bind entries)")
        if ".." in mount.split("/"):
            raise ValueError(f"mount {mount!r} must not contain '..'")
    if build is not None and (not isinstance(build, str) or build.strip() == ""):
        raise ValueError(f"build must be a non-empty command line, got {build!r}")
    return Initialize(
        build_file=None if build_file is None else as_file(build_file, "build_file"),
        required_files=tuple(as_files(required_files, "initialize required_files")),
        sif=None if sif is None else as_file(sif, "sif"),
        required_mounts=tuple(mounts),
        build=build,
    )


@dataclass(frozen=True)
class Job:
    """One job of a batch. Build with :func:`job`."""

    name: str
    file: Optional[File] = None
    required_files: Tuple[File, ...] = ()
    slurm: Optional[Slurm] = None
    command: Optional[str] = None
    request: Optional[Mapping[str, Union[int, float]]] = None


def job(
    name: str,
    file: Optional[FileLike] = None,
    required_files: Optional[Iterable[FileLike]] = None,
    slurm: Optional[Slurm] = None,
    command: Optional[str] = None,
    request: Optional[Mapping[str, Union[int, float]]] = None,
) -> Job:
    """One job: its name (a folder name in the archive) and what it runs.

    Args:
        name: unique within the batch; no ``/``, ``..`` or control characters.
        file: python batches: the script run as ``python3 <script> <cores>``.
        required_files: this job's own files, put into its ``input/`` folder.
        slurm: this job's SLURM overrides of the batch-wide settings.
        command: shell batches: the command line run with ``/bin/sh -c``.
        request: this job's own request, overriding ``metadata(request=...)`` key by key.
    """
    check_name("job name", name)
    if slurm is not None and not isinstance(slurm, Slurm):
        raise TypeError(f"job {name!r}: slurm must be slurm(...), got {slurm!r}")
    if command is not None and (not isinstance(command, str) or command.strip() == ""):
        raise ValueError(f"job {name!r}: command must be a non-empty command line, got {command!r}")
    if file is not None and command is not None:
        raise ValueError(f"job {name!r}: give either file= (python) or command= (shell), not both")
    return Job(
        name=name,
        file=None if file is None else as_file(file, f"job {name!r} file"),
        required_files=tuple(as_files(required_files, f"job {name!r} required_files")),
        slurm=slurm,
        command=command,
        request=check_request(f"job {name!r} request", request),
    )


@dataclass(frozen=True)
class Description:
    """The job section's content: the initialize step and the jobs. Build with :func:`description`."""

    initialize: Initialize
    jobs: Tuple[Job, ...]


def description(initialize: Initialize, jobs: Iterable[Job]) -> Description:
    """Combine the initialize step and the jobs.

    Raises:
        ValueError: no jobs, or two jobs with the same name (their results would share a folder).
    """
    if not isinstance(initialize, Initialize):
        raise TypeError(f"description needs initialize(...) first, got {initialize!r}")
    job_list = list(jobs)
    if not job_list:
        raise ValueError("a batch needs at least one job")
    for j in job_list:
        if not isinstance(j, Job):
            raise TypeError(f"jobs must be job(...) values, got {j!r}")
    dups = find_duplicates([j.name for j in job_list])
    if dups:
        shown = ", ".join(map(repr, dups[:5])) + (" ..." if len(dups) > 5 else "")
        raise ValueError(f"duplicate job names: {shown}; every job needs its own name")
    return Description(initialize=initialize, jobs=tuple(job_list))
