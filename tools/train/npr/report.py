"""Markdown tables of the LOGO figures written by logo_eval.py (reads /tmp/npr_logo.json)."""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/npr_logo.json"
res = json.load(open(path))
F = res["figures"]
conds = ["orig", "jpeg75", "resize50"]


def cell(v):
    if isinstance(v, list) and len(v) == 4:
        if v[0] != v[0]:
            return f"n/a (n={v[3]})"
        return f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]"
    return f"{v[0]}/{v[1]}"


keys = list(F["orig"].keys())
print("| figure | as stored | JPEG q75 | 50% resize |")
print("|---|---|---|---|")
for k in keys:
    n = F["orig"][k][3] if len(F["orig"][k]) == 4 else ""
    label = k + (f" (n={n})" if n != "" else "")
    print(f"| {label} | " + " | ".join(cell(F[c][k]) for c in conds) + " |")
print()
print("per-fold thresholds (95th pct of the fold's training reals):",
      ", ".join(f"{g} {t:.3f}" for g, t in res["thresholds"].items()))
