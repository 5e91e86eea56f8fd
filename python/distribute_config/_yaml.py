"""A tiny YAML writer for the shapes a config has: nested dicts, lists, strings, numbers, booleans.

Stdlib only (no PyYAML). Every string is written double-quoted with JSON-style escapes, so no value
is ever re-read as a number, boolean, null or date (``"01:00:00"``, ``"no"``, ``"1e3"`` stay
strings), and keys are plain identifiers. Small maps of scalars (file references) and short lists
of scalars (capabilities) are written in flow style on one line to keep a 100-job config readable.
"""

from __future__ import annotations

import json
import math
from typing import Any, List, Mapping

_FLOW_WIDTH = 100
_PLAIN_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _quote(text: str) -> str:
    # json.dumps escapes quotes, backslashes and C0 controls; YAML double-quoted strings accept
    # those escapes. Characters YAML calls non-printable (DEL, C1 controls, BOM, U+FFFE/FFFF)
    # and lone surrogates are escaped too so the file is always valid YAML and valid UTF-8.
    out = json.dumps(text, ensure_ascii=False)
    if any(_needs_escape(c) for c in out):
        out = "".join(f"\\u{ord(c):04x}" if _needs_escape(c) else c for c in out)
    return out


def _needs_escape(c: str) -> bool:
    code = ord(c)
    return (0x7F <= code <= 0x9F) or (0xD800 <= code <= 0xDFFF) or code in (0xFEFF, 0xFFFE, 0xFFFF)


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"YAML keys must be strings, got {key!r}")
    if key and set(key) <= _PLAIN_KEY_CHARS and not key[0] in "-0123456789":
        return key
    return _quote(key)


def scalar(value: Any) -> str:
    """Render one scalar (str, bool, int, float) as YAML text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write the non-finite number {value!r} to a config")
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"cannot write a {type(value).__name__} ({value!r}) to a config")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def _flow(value: Any) -> str:
    """Render a value that `_fits_flow` accepted on one line."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)}: {scalar(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return scalar(value)


def _fits_flow(value: Any, indent: int) -> bool:
    if isinstance(value, Mapping):
        ok = len(value) <= 3 and all(_is_scalar(v) for v in value.values())
    elif isinstance(value, list):
        ok = all(_is_scalar(v) for v in value)
    else:
        return True
    return ok and (not value or indent + len(_flow(value)) <= _FLOW_WIDTH)


def _emit(value: Any, indent: int) -> List[str]:
    """Render a map or list in block style, every line indented by ``indent`` spaces."""
    pad = " " * indent
    lines: List[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if _fits_flow(v, indent + len(_key(k)) + 2):
                lines.append(f"{pad}{_key(k)}: {_flow(v)}")
            else:
                lines.append(f"{pad}{_key(k)}:")
                lines.extend(_emit(v, indent + 2))
        return lines
    if not isinstance(value, list):
        raise TypeError(f"cannot write a {type(value).__name__} ({value!r}) to a config")
    for item in value:
        if _fits_flow(item, indent + 2):
            lines.append(f"{pad}- {_flow(item)}")
        else:
            # The item's first line shares the dash's line: "- name: job_1".
            sub = _emit(item, indent + 2)
            sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            lines.extend(sub)
    return lines


def dump(document: Mapping[str, Any], header: str = "") -> str:
    """Render a mapping as a YAML document; ``header`` lines are written as ``#`` comments first."""
    lines: List[str] = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.extend(_emit(document, 0))
    return "\n".join(lines) + "\n"
