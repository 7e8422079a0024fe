"""Run a seeded random sample of the mutants a `make mutants` run has not reached (README,
"Mutation testing").

mutmut runs the mutants whose tests are quickest first. The last ones, those of the functions
nearly every test calls, take most of a full run's time, and a run stopped before them leaves a
biased figure: they are the mutants most likely to survive. This draws a simple random sample
of the mutants not yet run (seeded, so a second run draws the same), writes it to
mutants/sample.json and runs it with mutmut; when mutmut is done, the sample's results are
written there too ("results"), as they came out. scripts/mutants_summary.py then reports the
mutants run before the sample as counted, and estimates the rest from those results with a 95 %
interval. Tests written later for the sample's survivors (and mutmut run again on them) change
the count, not the estimate: the estimate stays what the sample measured.

Usage (after `make mutants` has been stopped, so that mutants/ holds its results):
    .venv/bin/python scripts/mutants_sample.py --size 150 --seed 21 [--max-children 2]
    .venv/bin/python scripts/mutants_sample.py --freeze   # write the results of a run stopped
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "mutants" / "sample.json"


def codes() -> dict[str, int | None]:
    """mutmut's exit code of every mutant of the mutated modules (None: not run)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    found = {}
    for module in config["only_mutate"]:
        meta = ROOT / "mutants" / f"{module}.meta"
        if meta.exists():
            found.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return found


def not_run() -> list[str]:
    """The mutants that have no result yet, in a stable order."""
    return sorted(name for name, code in codes().items() if code is None)


def freeze() -> int:
    """Write the sample's results as they are now into mutants/sample.json."""
    sample = json.loads(SAMPLE.read_text("utf-8"))
    now = codes()
    if "population_names" not in sample:
        # Drawn before the names were kept: the population is what is still not run, and the
        # sample (nothing else may have run since the draw).
        names = sorted({n for n, code in now.items() if code is None} | set(sample["names"]))
        if len(names) != sample["population"]:
            print(
                "Mutants other than the sample ran since the draw: the population is lost.",
                file=sys.stderr,
            )
            return 1
        sample["population_names"] = names
    sample["results"] = {name: now.get(name) for name in sample["names"]}
    SAMPLE.write_text(json.dumps(sample, indent=1), "utf-8")
    missing = sum(code is None for code in sample["results"].values())
    print(f"Wrote the results of the sample's {len(sample['names'])} mutants ({missing} not run).")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, help="how many mutants to draw")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--dry-run", action="store_true", help="write the sample, do not run it")
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="write the results of the sample drawn already (a run that was stopped)",
    )
    args = parser.parse_args(argv)
    if args.freeze:
        if not SAMPLE.exists():
            print("No sample drawn yet: nothing to freeze.", file=sys.stderr)
            return 1
        return freeze()
    if args.size is None:
        parser.error("--size is required to draw a sample")
    if SAMPLE.exists():
        print(
            f"{SAMPLE.relative_to(ROOT)} exists: a sample was drawn already. "
            "Remove it to draw another (its results then count as run before the sample).",
            file=sys.stderr,
        )
        return 2
    population = not_run()
    if not population:
        print(
            "Every mutant has a result: nothing to sample. Run `make mutants` first.",
            file=sys.stderr,
        )
        return 1
    if args.size < 1:
        print("--size must be at least 1.", file=sys.stderr)
        return 2
    names = sorted(random.Random(args.seed).sample(population, min(args.size, len(population))))
    SAMPLE.write_text(
        json.dumps({"seed": args.seed, "population": len(population), "names": names}, indent=1),
        "utf-8",
    )
    print(f"Drew {len(names)} of the {len(population)} mutants not run (seed {args.seed}).")
    if args.dry_run:
        return 0
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL")
    }
    mutmut = Path(sys.executable).with_name("mutmut")
    # The names are mutmut's own, read from its result files; nothing here comes from outside.
    completed = subprocess.run(  # noqa: S603
        [str(mutmut), "run", "--max-children", str(args.max_children), *names],
        cwd=ROOT,
        env=env,
        check=False,
    )
    freeze()
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
