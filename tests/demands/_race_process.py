"""One of several processes acting on the same demands at once (tests/demands/test_concurrency.py).

    python -m tests.demands._race_process '<json>'

Run with DATABASE_URL (the test database), SECRET_KEY (the test process's, so that its audit
records chain with the same key) and QUEUE_IMMEDIATE=1. It sets Django up, says it is ready
(a file), waits for the go file, then on the same signal as the others:

1. takes `start_preparation` on demand `contested` with the version every process read
   (exactly one process may win);
2. adds `ledger` ledger entries to demand `shared` without a version (the lock orders them);
3. adds `notes` progress notes to `shared` with the version it last read, and when told the
   demand changed, reads it again and retries — as a person does after a refresh.

Prints one JSON line: what happened.
"""

import json
import os
import sys
import time
from pathlib import Path

WAIT = 60


def main(spec):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    import django

    django.setup()
    from django.db import connection

    from qiservice.accounts.models import User
    from qiservice.demands import workflow
    from qiservice.demands.models import Demand

    from .conftest import ledger_data

    specialist = User.objects.get(username=spec["username"])
    connection.ensure_connection()
    Path(spec["ready"]).touch()
    go = Path(spec["go"])
    deadline = time.monotonic() + WAIT
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)

    result = {"transition": None, "ledger": 0, "notes": 0, "retries": 0}
    try:
        workflow.start_preparation(
            Demand.objects.get(pk=spec["contested"]), by=specialist, expected_version=spec["version"]
        )
        result["transition"] = "won"
    except workflow.StaleDemandError:
        result["transition"] = "stale"
    except workflow.WorkflowError as error:
        result["transition"] = f"refused: {error.messages[0]}"

    for i in range(spec["ledger"]):
        data = ledger_data() | {"problem": f"进程{spec['tag']}的第{i}条台账"}
        workflow.add_ledger_entry(Demand.objects.get(pk=spec["shared"]), by=specialist, **data)
        result["ledger"] += 1

    for i in range(spec["notes"]):
        for _attempt in range(100):
            demand = Demand.objects.get(pk=spec["shared"])  # what the refreshed page shows
            try:
                workflow.add_note(
                    demand,
                    by=specialist,
                    kind="progress",
                    text=f"进程{spec['tag']}的第{i}条进展",
                    expected_version=demand.version,
                )
                result["notes"] += 1
                break
            except workflow.StaleDemandError:
                result["retries"] += 1
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
