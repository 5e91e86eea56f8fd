"""Checks for names that become folder or file names on the head and on compute nodes.

A namespace, batch name, job name or file alias must be one safe path segment: the head builds
``<namespace>/<batch>/<job>/`` from them, so a ``/`` or ``..`` would escape the archive. These are
the same rules the TypeScript config parser applies (``shared/names.ts``); checking them here means
a sweep script fails at the line that made the bad name instead of at ``distribute add``.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Set

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")



def unsafe_name_reason(name: str) -> Optional[str]:
    """Return why ``name`` is not a safe single path segment, or ``None`` when it is."""
    if len(name) == 0:
        return "must not be empty"
    if len(name) > 200:
        return "must be at most 200 characters"
    if name in (".", ".."):
        return f"'{name}' is not a valid folder name"
    if "/" in name or "\\" in name:
        return f"{name!r} must not contain '/' or '\\'"
    if _CONTROL.search(name):
        return f"{name!r} must not contain NUL or control characters"
    return None


def check_name(what: str, name: object) -> str:
    """Return ``name`` if it is a safe path segment string; raise ``ValueError``/``TypeError`` otherwise.

    ``what`` names the thing being checked (``"job name"``) for the error message.
    """
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {type(name).__name__}: {name!r}")
    reason = unsafe_name_reason(name)
    if reason is not None:
        raise ValueError(f"invalid {what} {name!r}: {reason}")
    return name


def check_str_list(what: str, values: Optional[Iterable[object]]) -> List[str]:
    """Return ``values`` as a list of strings; ``None`` means empty.

    A bare string is refused: ``capabilities="python3"`` would otherwise silently become the
    capabilities ``p``, ``y``, ``t``, ... .
    """
    if values is None:
        return []
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a list of strings, not a single string ({values!r}); write [{values!r}]")
    out: List[str] = []
    for value in values:
        if not isinstance(value, str) or value == "":
            raise TypeError(f"{what} must contain non-empty strings, got {value!r}")
        out.append(value)
    return out


def find_duplicates(names: Sequence[str]) -> List[str]:
    """Return the names that occur more than once, each once, in first-seen order."""
    seen: Set[str] = set()
    dups: List[str] = []
    for name in names:
        if name in seen and name not in dups:
            dups.append(name)
        seen.add(name)
    return dups
