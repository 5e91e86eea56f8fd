"""One job of the sweep: the Lyapunov exponent of the logistic map x -> r x (1 - x) at one r.

Reads its parameters from input/params.json (written per job by make_config.py), writes
distribute_save/result.json, which distribute archives. Standard library only.
Usage (as distribute runs it, from the job's folder): python3 run.py <number of cores>
"""

import json
import math
import os
import sys
import time


def lyapunov(r: float, x0: float, transient: int, steps: int) -> float:
    """Average of log|f'(x)| = log|r (1 - 2x)| along an orbit: > 0 means chaos."""
    x = x0
    for _ in range(transient):
        x = r * x * (1.0 - x)
    total = 0.0
    for _ in range(steps):
        x = r * x * (1.0 - x)
        total += math.log(max(abs(r * (1.0 - 2.0 * x)), 1e-300))
    return total / steps


def attractor(r: float, x0: float, transient: int, points: int) -> list:
    """The distinct values (to 6 digits) the orbit visits after the transient: its period, if periodic."""
    x = x0
    for _ in range(transient):
        x = r * x * (1.0 - x)
    seen = set()
    for _ in range(points):
        x = r * x * (1.0 - x)
        seen.add(round(x, 6))
    return sorted(seen)


def main() -> int:
    cores = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with open(os.path.join("input", "params.json"), encoding="utf-8") as fh:
        p = json.load(fh)
    start = time.perf_counter()
    exponent = lyapunov(p["r"], p["x0"], p["transient"], p["steps"])
    values = attractor(p["r"], p["x0"], p["transient"], 256)
    result = {
        "params": p,
        "lyapunov": exponent,
        "chaotic": exponent > 0,
        "period": len(values) if len(values) < 256 else None,
        "attractor_sample": values[:16],
        "seconds": round(time.perf_counter() - start, 4),
        "cores": cores,
    }
    os.makedirs("distribute_save", exist_ok=True)
    with open(os.path.join("distribute_save", "result.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    print(f"r={p['r']:.4f} lyapunov={exponent:+.4f} period={result['period']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
