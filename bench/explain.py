"""The SQL of each benchmarked page, with its time and plan (one database per process).

    DATABASE_URL=… .venv/bin/python bench/explain.py [--top 3] [--page "demand list"]

For each case of bench/pages.py: every query of one request (the slowest first, with its
time), and the plan of the `--top` slowest (PostgreSQL: EXPLAIN ANALYZE; SQLite: EXPLAIN
QUERY PLAN). Timings are noisy on a shared machine; the plans say whether a page reads an
index or scans and sorts a whole table.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import pages  # noqa: E402 (bench/pages.py, beside this file)


def capture(connection, client, path):
    queries = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(wrapper):
        response = client.get(path)
    return response, queries


def plan(connection, sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [f"{'  ' * (row[1] > 0)}{row[3]}" for row in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--page", help="only the cases whose name starts with this")
    parser.add_argument("--width", type=int, default=300, help="characters of each SQL shown")
    args = parser.parse_args()
    pages.setup()
    from django.db import connection
    from django.test import Client

    for case in pages.cases():
        if args.page and not case.name.startswith(args.page):
            continue
        client = Client()
        client.force_login(case.user)
        client.get(case.path)  # warm
        response, queries = capture(connection, client, case.path)
        total = sum(q[0] for q in queries)
        status = f"HTTP {response.status_code}  {len(queries)} queries, {total:.1f} ms SQL"
        print(f"\n=== {case.name}  {case.path}  {status}")
        for ms, sql, _params in sorted(queries, key=lambda q: -q[0]):
            print(f"  {ms:7.2f} ms  {' '.join(sql.split())[: args.width]}")
        for ms, sql, params in sorted(queries, key=lambda q: -q[0])[: args.top]:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            print(f"\n  --- plan of the {ms:.1f} ms query")
            for line in plan(connection, sql, params):
                print(f"    {line}")


if __name__ == "__main__":
    main()
