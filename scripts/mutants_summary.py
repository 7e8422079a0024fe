"""Print the kill rate of the last `make mutants` run, per module and in all (README, "Mutation
testing").

Reads mutmut's result files (mutants/<module>.py.meta). A mutant counts as killed when a test
failed on it or it timed out (mutmut's own reading); "no tests" means no selected test calls the
mutated function. Mutants not run (an interrupted run, or `make mutants MUTANTS=...`) are left
out of the rate and counted apart. Exits 1 when there is nothing to report.

After scripts/mutants_sample.py (mutants/sample.json), the mutants run before the sample are
counted as they are, and the rest (the sample's population) are estimated from the sample's
kill rate: the whole set's rate is printed with a 95 % interval (Wilson's, for the sample).
"""

import json
import math
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def category(code) -> str:
    if code is None:
        return "not run"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def wilson(killed: int, run: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % interval of a proportion from a sample (Wilson score)."""
    p = killed / run
    centre = (p + z * z / (2 * run)) / (1 + z * z / run)
    half = z * math.sqrt(p * (1 - p) / run + z * z / (4 * run * run)) / (1 + z * z / run)
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(codes_by_name: dict[str, object], sample: dict) -> list[str]:
    """The whole set's rate: the mutants outside the sample's population (those run before it
    was drawn, or made since by a change of the code) as counted, the population estimated
    from the sample as it ran."""
    drawn = set(sample["names"])
    population = set(sample.get("population_names") or ()) or None
    if population is None:  # a sample drawn before the names were kept: nothing ran since
        population = {n for n, c in codes_by_name.items() if c is None} | drawn
    population &= set(codes_by_name)
    before = Counter(category(c) for n, c in codes_by_name.items() if n not in population)
    # The sample as it ran (its results written when mutmut was done), not as later tests left
    # it: tests written for its survivors would make it a sample no longer.
    results = sample.get("results") or codes_by_name
    drawn_counts = Counter(category(results.get(n)) for n in drawn)
    sample_run = sum(drawn_counts.values()) - drawn_counts["not run"]
    head_run = sum(before.values()) - before["not run"]
    lines = [
        f"Run before the sample: {before['killed']} killed of {head_run}"
        + (f" ({before['not run']} not run)." if before["not run"] else "."),
        f"Sample (seed {sample['seed']}): {drawn_counts['killed']} killed of {sample_run} run, "
        f"{len(drawn)} drawn from the {len(population)} not run then.",
    ]
    if "results" in sample:
        now = Counter(category(codes_by_name.get(n)) for n in drawn)
        lines.append(
            f"The sample's mutants now: {now['killed']} killed (the estimate uses the sample "
            "as it ran)."
        )
    if not sample_run:
        return [*lines, "The sample has not run yet: no estimate."]
    p = drawn_counts["killed"] / sample_run
    low, high = wilson(drawn_counts["killed"], sample_run)
    total = head_run + len(population)
    rate = (before["killed"] + p * len(population)) / total
    lo = (before["killed"] + low * len(population)) / total
    hi = (before["killed"] + high * len(population)) / total
    lines.append(
        f"Estimated kill rate of all {total} mutants: {100 * rate:.1f} % "
        f"(95 % interval {100 * lo:.1f}-{100 * hi:.1f} %)."
    )
    return lines


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    rows = []
    total = Counter()
    codes_by_name = {}
    for module in config["only_mutate"]:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        codes_by_name.update(codes)
        count = Counter(category(code) for code in codes.values())
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
    sample = ROOT / "mutants" / "sample.json"
    if sample.exists():
        print()
        print("\n".join(estimate(codes_by_name, json.loads(sample.read_text("utf-8")))))
    print("Survivors: .venv/bin/mutmut results; one of them: .venv/bin/mutmut show <name>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
