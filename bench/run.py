"""`make bench`: the page benchmarks and a load run on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py [--scale city|province|town] [--db sqlite,postgres]
                                  [--runs 30] [--rate 100] [--seconds 20 (0: no load run)]
                                  [--sqlite-url sqlite:///…] [--postgres-url postgres://…]

For each database: creates it if needed (SQLite file under var/bench/, PostgreSQL database
qi_bench_<scale> on 127.0.0.1), migrates, fills it once with `generate_data` at the scale,
then runs bench/pages.py (server time, queries, main SQL, bare-view floor) and bench/load.py
(gunicorn + a separate client process). Prints one table and writes it to
bench/results/<scale>-<date>.md. Figures are measured, never asserted.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

TARGETS = {  # issue 9: what each page must reach (p50, ms)
    "demand list": 40,
    "keyword search": 80,
    "demand page": 30,
    "dashboard": 150,
    "enterprise": 40,
    "my work": 40,
}


def target_for(name):
    for prefix, value in TARGETS.items():
        if name.startswith(prefix):
            return value
    return None


def database_url(db, scale, args=None):
    given = getattr(args, f"{db}_url", None)
    if given:
        return given
    if db == "sqlite":
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{ROOT / 'var' / 'bench' / f'{scale}.sqlite3'}"
    name = f"qi_bench_{scale}"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def manage(env, *args, capture=False):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    ).stdout


def ensure_data(env, scale):
    manage(env, "migrate", "--noinput", "-v0")
    count = manage(
        env,
        "shell",
        "-c",
        "from qiservice.demands.models import Demand; print(Demand.objects.count())",
        capture=True,
    )
    if int(count.strip().splitlines()[-1]) == 0:
        started = time.monotonic()
        manage(env, "generate_data", "--scale", scale)
        return time.monotonic() - started
    return None


def run_db(db, args):
    env = dict(os.environ, DATABASE_URL=database_url(db, args.scale, args), QI_VAR_DIR=str(ROOT / "var" / "bench"))
    env.pop("DEBUG", None)
    generated = ensure_data(env, args.scale)
    out = ROOT / "var" / "bench" / f"pages-{db}.json"
    command = [PYTHON, "bench/pages.py", "--runs", str(args.runs), "--json", str(out)]
    load_before = os.getloadavg()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    loadavg = (load_before, os.getloadavg())
    pages = json.loads(out.read_text(encoding="utf-8"))
    load = None
    if args.seconds > 0:
        result = subprocess.run(
            [PYTHON, "bench/load.py", "--rate", str(args.rate), "--seconds", str(args.seconds)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        load = json.loads(result.stdout.strip().splitlines()[-1])
    return {"db": db, "generated_seconds": generated, "pages": pages, "load": load, "loadavg": loadavg}


def table(results, scale):
    lines = [
        f"# Benchmarks — scale {scale}, {datetime.datetime.now():%Y-%m-%d %H:%M}",
        "",
        "| db | page | p50 ms | p95 ms | CPU p50 | queries | main SQL p50 | bare floor p50 | page / floor "
        "| view floor p50 | page / view floor | target p50 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for row in result["pages"]:
            if "skipped" in row:
                lines.append(f"| {result['db']} | {row['name']} | skipped ({row['skipped']}) | | | | | | | | | |")
                continue
            target = target_for(row["name"])
            mark = "" if target is None or row["p50"] <= target else " ✗"
            sql = f"{row['sql_p50']:.1f}" if "sql_p50" in row else ""
            floor = f"{row['floor_p50']:.1f}" if "floor_p50" in row else ""
            ratio = f"{row['ratio_floor']:.1f}×" if row.get("ratio_floor") else ""
            view_floor = f"{row['view_floor_p50']:.1f}" if "view_floor_p50" in row else ""
            view_ratio = f"{row['ratio_view_floor']:.1f}×" if row.get("ratio_view_floor") else ""
            lines.append(
                f"| {result['db']} | {row['name']} | {row['p50']:.1f}{mark} | {row['p95']:.1f} "
                f"| {row.get('cpu_p50', 0):.1f} | {row.get('queries', '')} "
                f"| {sql} | {floor} | {ratio} | {view_floor} | {view_ratio} | {target or ''} |"
            )
    lines += ["", "| db | load: rate req/s | workers | requests | throughput | p50 ms | p99 ms | errors |"]
    lines += ["|---|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        load = result["load"]
        if load:
            lines.append(
                f"| {result['db']} | {load['rate']} | {load['workers']} | {load['requests']} | {load['throughput']} "
                f"| {load['p50']} | {load['p99']} | {load['errors']} |"
            )
    lines.append("")
    for result in results:
        before, after = result["loadavg"]
        lines.append(
            f"Load average on {result['db']} (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in before)} before the "
            f"pages, {' '.join(f'{x:.2f}' for x in after)} after ({os.cpu_count()} CPUs).  "
        )
    for result in results:
        if result["generated_seconds"]:
            lines.append(f"\nGenerated the {scale} data set on {result['db']} in {result['generated_seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20, help="the load run's length; 0: no load run")
    parser.add_argument("--sqlite-url", help="an existing SQLite database instead of var/bench/<scale>.sqlite3")
    parser.add_argument("--postgres-url", help="an existing PostgreSQL database instead of qi_bench_<scale>")
    args = parser.parse_args()
    results = [run_db(db, args) for db in args.db.split(",")]
    text = table(results, args.scale)
    print(text)
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    path = folder / f"{args.scale}-{datetime.date.today():%Y-%m-%d}.md"
    path.write_text(text, encoding="utf-8")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
