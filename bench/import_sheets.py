"""Benchmark: a district's spreadsheets imported with `manage.py import_sheet` on PostgreSQL.

    .venv/bin/python bench/import_sheets.py [--people 10000] [--buildings 20000] [--keep]

Generates the sheets as XLSX (an organization tree of 6 streets, 48 communities and 300 grids;
the grid list; a roster of --people people, half with ID numbers, with posts; --buildings
buildings), creates its own PostgreSQL database (jk_import_bench, or the DATABASE_URL given) if
missing and empties it, then runs the command on each sheet — first into the empty database,
then once more (nothing changes) — and prints the times. Goal (issue 20): 10,000 people and
20,000 buildings in under a minute.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pgdb import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jk_import_bench"

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number(n: int) -> str:
    first = f"321102{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first + ID_CHECK[sum(int(d) * w for d, w in zip(first, ID_WEIGHTS, strict=True)) % 11]


def write_xlsx(path: Path, headers: list[str], rows) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def generate(folder: Path, people: int, buildings: int) -> dict[str, Path]:
    rng = random.Random(20220429)
    units = [["JK", "中共京口区委", "区委", "", ""]]
    grids = []
    for s in range(1, 7):
        street = f"JK-S{s}"
        units.append([street, f"第{s}街道党工委", "街道", "", "JK"])
        for c in range(1, 9):
            community = f"{street}-C{c:02d}"
            units.append([community, f"第{s}-{c}社区党委", "社区", "", street])
            for g in range(1, 7 if c % 2 else 8):
                grid = f"{community}-G{g:02d}"
                units.append([grid, f"第{s}-{c}-{g}网格党支部", "网格", "党支部", community])
                grids.append((grid, community, f"第{s}-{c}-{g}网格"))
    files = {"org": folder / "org.xlsx", "grids": folder / "grids.xlsx"}
    files["people"], files["buildings"] = folder / "people.xlsx", folder / "buildings.xlsx"
    write_xlsx(files["org"], ["编码", "名称", "层级", "组织形式", "上级编码"], units)
    write_xlsx(
        files["grids"],
        [
            "网格编码",
            "网格名称",
            "所属社区编码",
            "支部形式",
            "户数",
            "人口",
            "中心纬度",
            "中心经度",
        ],
        [[code, name, community, "党支部", 300, 780, "", ""] for code, community, name in grids],
    )
    statuses = ["正式党员"] * 8 + ["预备党员", "群众"]
    roster = []
    for n in range(people):
        grid = grids[n % len(grids)][0]
        status = statuses[n % len(statuses)]
        post = ""
        if n < len(grids):
            post = f"书记@{grid}"
        elif n < 2 * len(grids):
            post = f"网格长@{grids[n - len(grids)][0]}"
        roster.append([
            f"党员{n}", id_number(n) if n % 2 == 0 else "", f"139{n:08d}", status,
            "是" if n % 3 == 0 else "否", grid if status != "群众" else "", post,
        ])  # fmt: skip
    write_xlsx(
        files["people"],
        ["姓名", "身份证号", "手机号", "政治面貌", "离退休", "组织关系所在单位编码", "职务"],
        roster,
    )
    write_xlsx(
        files["buildings"],
        ["地址", "楼栋名称", "网格编码", "户数", "纬度", "经度"],
        [
            [
                f"京口区测试路{n}号",
                f"{n % 40 + 1}号楼",
                grids[n % len(grids)][0],
                rng.randint(12, 60),
                round(32.15 + rng.random() * 0.10, 6),
                round(119.40 + rng.random() * 0.25, 6),
            ]  # fmt: skip
            for n in range(buildings)
        ],
    )
    return files


def manage(*args: str, env: dict) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if done.returncode:
        print(done.stdout, done.stderr, sep="\n")
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def empty(env: dict) -> None:
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('TRUNCATE grids_building, grids_grid, organization_position, "
        "organization_person, organization_orgunit RESTART IDENTITY CASCADE')\n"
    )
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", code],
        env=env,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--buildings", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    env = {"DEBUG": "true", **os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    ensure_database(url)
    manage("migrate", "-v0", env=env)
    empty(env)
    folder = Path(tempfile.mkdtemp(prefix="jk-import-bench-"))
    started = time.monotonic()
    files = generate(folder, options.people, options.buildings)
    print(f"generated the sheets in {time.monotonic() - started:.1f} s ({folder})")
    totals = {}
    for run in ("into an empty database", "again (nothing changes)"):
        print(f"\nimport {run}:")
        total = 0.0
        for kind in ("org", "grids", "people", "buildings"):
            elapsed, summary = manage(
                "import_sheet", kind, str(files[kind]), "--no-progress", env=env
            )
            total += elapsed
            print(f"  {kind:<10} {elapsed:6.1f} s   {summary}")
        totals[run] = total
        print(f"  {'total':<10} {total:6.1f} s (each command includes ~Django start-up)")
    first = totals["into an empty database"]
    print(f"\n{options.people:,} people and {options.buildings:,} buildings: {first:.1f} s "
          f"({'under' if first < 60 else 'OVER'} the one-minute goal)")  # fmt: skip
    if not options.keep:
        for path in files.values():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
