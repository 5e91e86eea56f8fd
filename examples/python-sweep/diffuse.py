# One job: explicit 1-D heat diffusion with the diffusivity from input/params.json.
# Usage (as distribute runs it): python3 diffuse.py <cores>
import json
import pathlib
import sys

cores = int(sys.argv[1]) if len(sys.argv) > 1 else 1
params = json.loads(pathlib.Path("input/params.json").read_text())
alpha, steps = params["alpha"], params["steps"]
u = json.loads(pathlib.Path("initial_profile.json").read_text())
for step in range(steps):
    u = [u[0]] + [u[i] + alpha * (u[i - 1] - 2 * u[i] + u[i + 1]) for i in range(1, len(u) - 1)] + [u[-1]]

out = pathlib.Path("distribute_save")
(out / "profiles").mkdir(parents=True, exist_ok=True)
(out / "profiles" / "final.csv").write_text("\n".join(f"{i},{v:.6f}" for i, v in enumerate(u)) + "\n")
summary = {"alpha": alpha, "steps": steps, "peak": max(u), "energy": sum(u), "cores": cores}
(out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
print(f"alpha={alpha}: peak {max(u):.4f} after {steps} steps")
