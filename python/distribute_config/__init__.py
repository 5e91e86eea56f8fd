"""Generate config files for distribute from Python, with the standard library only.

A sweep over hundreds of parameter sets becomes a short loop::

    import distribute_config as dc

    meta = dc.metadata(namespace="brooks", batch_name="re_sweep", capabilities=["python3"])
    jobs = dc.sweep([{"re": re} for re in (100, 200, 400)], script=dc.file("run.py"), out_dir="params")
    init = dc.initialize(build_file=dc.file("build.py"), required_files=[dc.file("mesh.h5")])
    config = dc.python_config(meta, dc.description(init, jobs), slurm=dc.slurm(ntasks=4, time="01:00:00"))
    dc.write_config_to_file(config, "distribute-jobs.yaml")

Every builder checks its arguments (unsafe or duplicate names raise ``ValueError``) so mistakes
surface in the script, not at ``distribute add``.
"""

from ._version import __version__
from .config import Config, apptainer_config, python_config, shell_config, to_dict, to_yaml, write_config_to_file
from .model import (
    Description,
    File,
    Initialize,
    Job,
    Metadata,
    Slurm,
    description,
    file,
    initialize,
    job,
    metadata,
    slurm,
)
from .sweep import sweep
from ._names import unsafe_name_reason

__all__ = [
    "__version__",
    "Config",
    "Description",
    "File",
    "Initialize",
    "Job",
    "Metadata",
    "Slurm",
    "apptainer_config",
    "description",
    "file",
    "initialize",
    "job",
    "metadata",
    "python_config",
    "shell_config",
    "slurm",
    "sweep",
    "to_dict",
    "to_yaml",
    "unsafe_name_reason",
    "write_config_to_file",
]
