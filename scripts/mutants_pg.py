"""Run again, on PostgreSQL, the surviving mutants of the code that runs only there (README,
"Mutation testing").

`make mutants` runs on SQLite. A few functions of the mutated modules take another branch on
PostgreSQL, or guard against what only PostgreSQL refuses: the outbox's claim and finish
(`_claim`, `_finish`: one UPDATE … RETURNING with FOR UPDATE SKIP LOCKED), and the tracking
page's look-up by token (a NUL in it is an error on PostgreSQL, no match on SQLite). On SQLite
those lines never run or change nothing, so their mutants survive there, while CI runs the same
tests on PostgreSQL, where a broken claim fails them. This runs those survivors again with DATABASE_URL set, one at a
time (the children share one test database), with the same tests mutmut chose for them. A
mutant then counts as killed when the tests fail on either database; the others stay survivors.

    .venv/bin/python scripts/mutants_pg.py                 # the functions below
    .venv/bin/python scripts/mutants_pg.py --functions notifications.services.x__claim
    .venv/bin/python scripts/mutants_pg.py --dry-run       # list them, run nothing

Run it after `make mutants` and after each `make mutants-sample`, before the summary; after a
sample, `scripts/mutants_sample.py --freeze` writes the sample's results again (no test has
changed in between: the sample is still measured as it was drawn).
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants_sample import ROOT, codes  # noqa: E402

# The functions with a branch of their own on PostgreSQL, as mutmut names them.
FUNCTIONS = (
    "notifications.services.x__claim",
    "notifications.services.x__finish",
    "resident_requests.selectors.x_request_for_token",
)
SURVIVED = 0


def results_of(functions) -> dict[str, int]:
    """mutmut's exit code of each mutant of `functions` that has run."""
    prefixes = tuple(f"{function}__mutmut_" for function in functions)
    return {
        name: code
        for name, code in codes().items()
        if name.startswith(prefixes) and code is not None
    }


def survivors(functions) -> list[str]:
    """The surviving mutants of `functions`, in a stable order."""
    return sorted(name for name, code in results_of(functions).items() if code == SURVIVED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", nargs="+", default=FUNCTIONS)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "MUTANTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jk_mutants"
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="list the survivors, run nothing")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must name a PostgreSQL database")
    names = survivors(args.functions)
    known = results_of(args.functions)
    if not known:
        print(
            "No mutants of these functions have results: run `make mutants` first.",
            file=sys.stderr,
        )
        return 1
    print(
        f"{len(names)} of the {len(known)} mutants of {', '.join(args.functions)} survived on SQLite."
    )
    if args.dry_run or not names:
        print("\n".join(names))
        return 0
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "REDIS_CACHE_URL")}
    env["DATABASE_URL"] = args.database_url
    mutmut = Path(sys.executable).with_name("mutmut")
    # The names are mutmut's own, read from its result files; nothing here comes from outside.
    completed = subprocess.run(  # noqa: S603
        [str(mutmut), "run", "--max-children", "1", *names], cwd=ROOT, env=env, check=False
    )
    left = survivors(args.functions)
    print(
        f"On PostgreSQL: {len(names) - len(left)} of the {len(names)} killed, {len(left)} survive."
    )
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
