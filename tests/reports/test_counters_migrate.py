"""A later migration that rebuilds a counted table must not break on, or lose, the
counters' triggers (SQLite rebuilds a table to alter it, and a trigger naming a table that
is momentarily gone makes the rename fail). Replays the order that failed: the counters
installed first, then a demands migration that rebuilds demands_demand."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(tmp_path, *args):
    env = {
        **os.environ,
        "QI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'upgrade.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def test_a_migration_rebuilding_a_counted_table_keeps_the_counters(tmp_path):
    manage(tmp_path, "migrate", "demands", "0004")
    manage(tmp_path, "migrate", "reports")  # the triggers exist before demands 0005 runs
    out = manage(tmp_path, "migrate")  # demands 0005 rebuilds demands_demand on SQLite
    assert "demands.0005" in out
    manage(tmp_path, "seed_demo", "--if-empty")  # written through the triggers put back
    assert "counters match the records" in manage(tmp_path, "check_counters")
    names = manage(
        tmp_path,
        "shell",
        "-c",
        "from qiservice.reports import counters; print(sorted(counters.installed()))",
    )
    assert names.count("qi_cnt_") == 15
