"""Print the kill rate of the last `make mutants` run, per module and in all (README, "Mutation
testing").

Reads mutmut's result files (mutants/<module>.py.meta). A mutant counts as killed when a test
failed on it or it timed out (mutmut's own reading); "no tests" means no selected test calls the
mutated function. Mutants not run (an interrupted run, or `make mutants MUTANTS=...`) are left
out of the rate and counted apart. Exits 1 when there is nothing to report.
"""

import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    rows = []
    total = Counter()
    for module in config["only_mutate"]:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"].values()
        count = Counter()
        for code in codes:
            if code is None:
                count["not run"] += 1
            elif code in KILLED:
                count["killed"] += 1
            elif code in SURVIVED:
                count["survived"] += 1
            elif code in NO_TESTS:
                count["no tests"] += 1
            else:
                count["other"] += 1
        total.update(count)
        rows.append((module, count))
    if not rows or total["not run"] == sum(total.values()):
        print("No mutation results: run `make mutants` first.", file=sys.stderr)
        return 1
    print(f"{'module':36} {'killed':>7} {'run':>6} {'rate':>7} {'survived':>9} {'no tests':>9}")
    for module, count in [*rows, ("all", total)]:
        run = count["killed"] + count["survived"] + count["no tests"] + count["other"]
        rate = f"{100 * count['killed'] / run:.1f} %" if run else "-"
        line = (
            f"{module:36} {count['killed']:>7} {run:>6} {rate:>7} "
            f"{count['survived']:>9} {count['no tests']:>9}"
        )
        if count["not run"]:
            line += f"   ({count['not run']} not run)"
        print(line)
    print("Survivors: .venv/bin/mutmut results; one of them: .venv/bin/mutmut show <name>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
