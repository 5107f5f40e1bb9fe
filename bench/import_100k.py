"""Time ``import_assessments`` on a 100,000-row file against PostgreSQL.

    python bench/import_100k.py [--rows 100000] [--database-url postgres://postgres@127.0.0.1:5432/ph_bench_import]

It recreates the bench database, migrates it, writes the CSV (partners and
raters unknown, so --create-missing is exercised), runs the command as a user
would, then checks that a file with one bad row writes nothing and names it.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
ITEMS = (
    [f"characteristics.{k}" for k in ("quality", "flexibility", "trust", "service_team", "leadership_access",
                                      "client_first")]
    + [f"traits.{k}" for k in ("caring", "homework", "attention", "proactivity", "honesty", "goal_direction",
                               "face_to_face")]
    + [f"symptoms.{k}" for k in ("chasing_rainbows", "one_sided_pencil", "little_interaction", "no_mutual_respect",
                                 "misrepresented_solution")]
)
PERIODS = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]


def write_csv(path: Path, rows: int, *, bad_line: int | None = None) -> int:
    rng = random.Random(7)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("partner,period,rater,item,score\n")
        n = 0
        while written < rows:
            partner, period = f"Bench Partner {n // len(PERIODS):05d}", PERIODS[n % len(PERIODS)]
            rater = f"rater{(n // len(PERIODS)) % 300:03d}@bench.example"
            for item in ITEMS:
                score = rng.randint(0, 3) if item.startswith("symptoms.") else rng.randint(1, 5)
                if bad_line is not None and written + 2 == bad_line:
                    score = 9
                out.write(f"{partner},{period},{rater},{item},{score}\n")
                written += 1
            n += 1
    return written


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/ph_bench_import")
    args = parser.parse_args()

    db = urlparse(args.database_url).path.lstrip("/")
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c"]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{db}"'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{db}"'], check=True)
    env = {**os.environ, "DATABASE_URL": args.database_url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "partnerhealth.settings"}
    result = manage(env, "migrate", "-v", "0")
    if result.returncode:
        print(result.stderr)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "bad.csv"
        write_csv(bad, args.rows, bad_line=args.rows // 2)
        started = time.perf_counter()
        rejected = manage(env, "import_assessments", str(bad), "--create-missing")
        rejected_s = time.perf_counter() - started
        counts = manage(env, "shell", "-v", "0", "-c",
                        "from assessments.models import *; print(Partner.objects.count(), Checkup.objects.count(),"
                        " Answer.objects.count())").stdout.split()

        good = Path(tmp) / "good.csv"
        rows = write_csv(good, args.rows)
        started = time.perf_counter()
        imported = manage(env, "import_assessments", str(good), "--create-missing")
        elapsed = time.perf_counter() - started

    print(f"rows: {rows:,}")
    print(f"bad file (one bad row, line {args.rows // 2}): exit {rejected.returncode} in {rejected_s:.1f}s; "
          f"after it partners/assessments/answers = {'/'.join(counts)}")
    print("  " + next((line for line in rejected.stderr.splitlines() if line.startswith("line ")), "(no line named)"))
    print(f"good file: exit {imported.returncode} in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s)")
    print("  " + (imported.stdout.strip().splitlines() or [imported.stderr])[0])
    ok = rejected.returncode != 0 and counts == ["0", "0", "0"] and imported.returncode == 0 and elapsed < 60
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
