"""Build step, run once per node before its jobs: checks the node's Python is new enough.

A failing build (non-zero exit) tells distribute this node cannot run the batch.
"""

import platform
import sys

if sys.version_info < (3, 8):
    sys.exit(f"python {platform.python_version()} is too old for this sweep (need >= 3.8)")
print(f"python {platform.python_version()} on {platform.node()}: ok")
