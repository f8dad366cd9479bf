"""Several people at once, with real threads against the real database.

- Registrations from many threads at once get the numbers QI-<year>-000001 … without a
  gap or a duplicate (the per-year counter row is locked).
- Two people acting on one demand at once: one wins; the other waits for the lock, is
  then told that the demand changed (or that it cannot act in the new state), and
  nothing of theirs is written.
- Many at once on one demand (issue 10, item 8): the same transition with the same
  version changes the demand once (one StatusChange, one audit record); ledger entries
  and notes added at once are all stored; different transitions racing end in a legal
  state whose history (StatusChange chain, audit records) tells how it got there; the
  audit hash chain holds. The same from several processes (each its own Django and
  database connection), on SQLite and on PostgreSQL.

The threads need a database where writers wait for each other: the fixture
`concurrent_db` (tests/conftest.py) gives them one on SQLite too.
"""

import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.models import Demand, DemandSequence, LedgerEntry, Note, StatusChange
from qiservice.demands.transitions import TRANSITIONS
from tests.conftest import shared_database_url

from ._prop_world import build_world
from .conftest import ledger_data, preparation_data

ROOT = Path(__file__).resolve().parents[2]

THREADS, PER_THREAD = 8, 3
JOIN_TIMEOUT = 60
HELD = 0.5  # how long the first actor holds the lock while the second must wait


@pytest.fixture
def people_world(concurrent_db):
    return build_world()


def in_threads(*functions):
    """Run each function in its own thread, each with its own database connection
    (closed when the thread ends); their results or exceptions, in order."""
    results = [None] * len(functions)

    def run(i, function):
        try:
            results[i] = function()
        except BaseException as error:  # handed back to the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results


def register(world, by=None, enterprise=None):
    return workflow.register_demand(
        by=by or world.people.specialist,
        enterprise=enterprise or world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="张经理",
        contact_phone="13800001111",
        description="生产线上的电子秤需要定期校准。",
    )


def preparing_demand(world):
    sp = world.people.specialist
    demand = register(world)
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    return Demand.objects.get(pk=demand.pk)


# --- numbers --------------------------------------------------------------------------------


def test_numbers_stay_unique_and_without_gaps_when_many_register_at_once(people_world):
    world = people_world
    registrants = [
        (world.people.specialist, world.ent_jimei),
        (world.people.officer_jimei, world.ent_jimei),
        (world.people.enterprise_user, world.ent_jimei),
        (world.people.admin, world.ent_siming),
        (world.people.specialist_siming, world.ent_siming),
        (world.people.officer_siming, world.ent_siming),
    ]
    start = threading.Barrier(THREADS)

    def registrations(i):
        user, enterprise = registrants[i % len(registrants)]

        def work():
            start.wait(JOIN_TIMEOUT)
            return [register(world, by=user, enterprise=enterprise).number for _ in range(PER_THREAD)]

        return work

    results = in_threads(*(registrations(i) for i in range(THREADS)))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    numbers = sorted(n for numbers in results for n in numbers)
    year = timezone.localdate().year
    total = THREADS * PER_THREAD
    assert numbers == [f"QI-{year}-{n:06d}" for n in range(1, total + 1)]
    assert sorted(Demand.objects.values_list("number", flat=True)) == numbers
    assert DemandSequence.objects.get(year=year).last == total
    assert StatusChange.objects.filter(action="register").count() == total


# --- two people on one demand ---------------------------------------------------------------


def race(first, second):
    """`first` takes the demand's lock and holds it; `second` starts while it is held.

    Returns (first's result, second's result, whether second finished while the
    lock was still held)."""
    locked, release, started, finished = (threading.Event() for _ in range(4))

    def run_first():
        try:
            with transaction.atomic():
                result = first()
                locked.set()
                release.wait(JOIN_TIMEOUT)
            return result
        finally:
            locked.set()  # even when it failed, so that the others do not wait for nothing

    def run_second():
        locked.wait(JOIN_TIMEOUT)
        started.set()
        try:
            return second()
        finally:
            finished.set()

    outcome = {}

    def referee():
        started.wait(JOIN_TIMEOUT)
        time.sleep(HELD)
        outcome["finished_while_held"] = finished.is_set()
        release.set()

    a, b, _ = in_threads(run_first, run_second, referee)
    return a, b, outcome["finished_while_held"]


def test_two_confirmations_at_once_one_wins_and_the_other_is_told_the_demand_changed(people_world):
    world = people_world
    sp = world.people.specialist
    demand = preparing_demand(world)
    version = demand.version

    def confirm(mode):
        return lambda: workflow.confirm(
            Demand.objects.get(pk=demand.pk), by=sp, mode=mode, reason="企业需求明确", expected_version=version
        )

    won, lost, finished_while_held = race(confirm("direct"), confirm("assisted"))

    assert not finished_while_held, "the second confirmation did not wait for the lock"
    assert isinstance(won, Demand), won
    assert isinstance(lost, workflow.StaleDemandError), lost
    assert "已被他人更新" in lost.messages[0] and "未保存" in lost.messages[0]
    demand.refresh_from_db()
    assert (demand.status, demand.service_mode, demand.version) == (S.CONFIRMED, "direct", version + 1)
    assert StatusChange.objects.filter(demand=demand, action="confirm").count() == 1


def test_without_a_version_the_lock_alone_stops_a_second_transition(people_world):
    """Both load the demand in preparation; the second, once it gets the lock, finds it
    already confirmed and is refused: it never reads the old status."""
    world = people_world
    sp = world.people.specialist
    demand = preparing_demand(world)

    def confirm(mode):
        return lambda: workflow.confirm(Demand.objects.get(pk=demand.pk), by=sp, mode=mode, reason="企业需求明确")

    won, lost, finished_while_held = race(confirm("direct"), confirm("assisted"))

    assert not finished_while_held
    assert isinstance(won, Demand), won
    assert isinstance(lost, workflow.WorkflowError) and lost.code == "not_allowed_now", lost
    demand.refresh_from_db()
    assert (demand.status, demand.service_mode) == (S.CONFIRMED, "direct")
    assert StatusChange.objects.filter(demand=demand).count() == 3  # register, prepare, confirm


def test_a_ledger_entry_written_while_the_agency_cancels_is_refused_not_lost(people_world):
    world = people_world
    demand = preparing_demand(world)
    version = demand.version

    def cancel():
        return workflow.cancel(
            Demand.objects.get(pk=demand.pk),
            by=world.people.officer_jimei,
            reason="企业已搬迁",
            expected_version=version,
        )

    def ledger():
        return workflow.add_ledger_entry(
            Demand.objects.get(pk=demand.pk), by=world.people.specialist, expected_version=version, **ledger_data()
        )

    won, lost, finished_while_held = race(cancel, ledger)

    assert not finished_while_held
    assert isinstance(won, Demand) and won.status == S.CANCELLED
    assert isinstance(lost, workflow.StaleDemandError), lost
    assert "未保存" in lost.messages[0]
    assert LedgerEntry.objects.filter(demand=demand).count() == 0


def test_a_cancel_sent_while_a_ledger_entry_is_written_is_told_to_look_again(people_world):
    world = people_world
    demand = preparing_demand(world)
    version = demand.version

    def ledger():
        return workflow.add_ledger_entry(
            Demand.objects.get(pk=demand.pk), by=world.people.specialist, expected_version=version, **ledger_data()
        )

    def cancel():
        return workflow.cancel(
            Demand.objects.get(pk=demand.pk),
            by=world.people.officer_jimei,
            reason="企业已搬迁",
            expected_version=version,
        )

    won, lost, finished_while_held = race(ledger, cancel)

    assert not finished_while_held
    assert isinstance(won, LedgerEntry)
    assert isinstance(lost, workflow.StaleDemandError), lost
    demand.refresh_from_db()
    assert demand.status == S.PREPARING and demand.version == version + 1
    assert LedgerEntry.objects.filter(demand=demand).count() == 1


def test_many_people_pressing_the_same_button_at_once_change_the_demand_once(people_world):
    world = people_world
    demand = preparing_demand(world)
    version = demand.version
    start = threading.Barrier(6)

    def note(i):
        def work():
            start.wait(JOIN_TIMEOUT)
            return workflow.add_note(
                Demand.objects.get(pk=demand.pk),
                by=world.people.specialist,
                kind="progress",
                text=f"第{i}条进展",
                expected_version=version,
            )

        return work

    results = in_threads(*(note(i) for i in range(6)))

    won = [r for r in results if isinstance(r, Note)]
    stale = [r for r in results if isinstance(r, workflow.StaleDemandError)]
    assert len(won) == 1 and len(stale) == 5, results
    assert list(Note.objects.filter(demand=demand)) == won
    demand.refresh_from_db()
    assert demand.version == version + 1


# --- many at once on one demand: nothing lost --------------------------------------------------


def transition_audits(demand):
    """The actions of the demand's transition audit records, in the chain's order."""
    return [
        extra["action"]
        for extra in AuditLog.objects.filter(
            event_type=AuditEvent.TRANSITION,
            target_type=ContentType.objects.get_for_model(Demand),
            target_id=str(demand.pk),
        )
        .order_by("pk")
        .values_list("extra", flat=True)
    ]


def created_audits(model, ids):
    return AuditLog.objects.filter(
        event_type=AuditEvent.CREATED,
        target_type=ContentType.objects.get_for_model(model),
        target_id__in=[str(pk) for pk in ids],
    ).count()


def assert_history_is_consistent(demand):
    """The StatusChange rows form one chain of legal steps ending in the demand's status,
    and the audit log has one transition record per step, in the same order."""
    demand.refresh_from_db()
    changes = list(StatusChange.objects.filter(demand=demand).order_by("pk"))
    assert changes[0].action == "register" and changes[0].to_status == S.REGISTERED
    for before, after in itertools.pairwise(changes):
        assert after.from_status == before.to_status, f"a broken chain: {before} then {after}"
        row = TRANSITIONS[after.action]
        assert after.from_status in row.sources, f"{after.action} may not leave {after.from_status}"
        assert after.to_status == row.target, f"{after.action} leads to {row.target}, not {after.to_status}"
    assert changes[-1].to_status == demand.status
    assert transition_audits(demand) == [c.action for c in changes[1:]]
    return changes


def assert_audit_chain_holds():
    """`manage.py verify_audit_chain` walks every record (it fails at the first broken link)."""
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue().strip() == f"audit chain intact: {AuditLog.objects.count()} rows"


def test_the_same_transition_from_many_threads_with_one_version_changes_the_demand_once(people_world):
    world = people_world
    sp = world.people.specialist
    demand = register(world)
    version = demand.version
    start = threading.Barrier(THREADS)

    def start_preparation():
        start.wait(JOIN_TIMEOUT)
        return workflow.start_preparation(Demand.objects.get(pk=demand.pk), by=sp, expected_version=version)

    results = in_threads(*([start_preparation] * THREADS))

    won = [r for r in results if isinstance(r, Demand)]
    stale = [r for r in results if isinstance(r, workflow.StaleDemandError)]
    assert (len(won), len(stale)) == (1, THREADS - 1), results
    assert all("已被他人更新" in e.messages[0] for e in stale)
    demand.refresh_from_db()
    assert (demand.status, demand.version) == (S.PREPARING, version + 1)
    assert StatusChange.objects.filter(demand=demand, action="start_preparation").count() == 1
    assert transition_audits(demand) == ["start_preparation"]
    assert_history_is_consistent(demand)
    assert_audit_chain_holds()


def test_ledger_entries_and_notes_added_from_many_threads_at_once_are_all_stored(people_world):
    """Half the threads add ledger entries (no version: the lock puts them in a row), half
    add progress notes with the version they read, reading again when told it changed."""
    world = people_world
    sp = world.people.specialist
    demand = preparing_demand(world)
    version = demand.version
    start = threading.Barrier(THREADS)
    retries = []

    def ledger(i):
        def work():
            start.wait(JOIN_TIMEOUT)
            return [
                workflow.add_ledger_entry(
                    Demand.objects.get(pk=demand.pk), by=sp, **(ledger_data() | {"problem": f"线程{i}的第{n}条台账"})
                ).pk
                for n in range(PER_THREAD)
            ]

        return work

    def notes(i):
        def work():
            start.wait(JOIN_TIMEOUT)
            written = []
            for n in range(PER_THREAD):
                for _attempt in range(100):
                    current = Demand.objects.get(pk=demand.pk)
                    try:
                        note = workflow.add_note(
                            current,
                            by=sp,
                            kind="progress",
                            text=f"线程{i}的第{n}条进展",
                            expected_version=current.version,
                        )
                    except workflow.StaleDemandError:
                        retries.append(1)
                        continue
                    written.append(note.pk)
                    break
            return written

        return work

    results = in_threads(*(ledger(i) if i % 2 else notes(i) for i in range(THREADS)))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    each = (THREADS // 2) * PER_THREAD
    entries = LedgerEntry.objects.filter(demand=demand)
    notes_stored = Note.objects.filter(demand=demand)
    assert entries.count() == each and notes_stored.count() == each
    assert sorted(entries.values_list("pk", flat=True)) == sorted(pk for r in results[1::2] for pk in r)
    assert sorted(notes_stored.values_list("pk", flat=True)) == sorted(pk for r in results[0::2] for pk in r)
    assert len(set(entries.values_list("problem", flat=True))) == each, "every thread's own text"
    demand.refresh_from_db()
    assert demand.version == version + 2 * each, "every write moved the version on once: none overwrote another"
    assert created_audits(LedgerEntry, entries.values_list("pk", flat=True)) == each
    assert created_audits(Note, notes_stored.values_list("pk", flat=True)) == each
    assert_history_is_consistent(demand)
    assert_audit_chain_holds()


RACERS = {
    "confirm": lambda w, d: workflow.confirm(d, by=w.people.specialist, mode="direct", reason="企业需求明确"),
    "cancel": lambda w, d: workflow.cancel(d, by=w.people.officer_jimei, reason="企业已搬迁"),
    "withdraw": lambda w, d: workflow.withdraw(d, by=w.people.enterprise_user, reason="企业已自行解决"),
}


def test_different_transitions_racing_end_in_a_legal_state_with_the_history_to_match(people_world):
    """On each of several demands in preparation, the specialist confirms, the agency cancels
    and the enterprise withdraws at the same moment (no version: each acts on what it finds
    under the lock). Cancelling and withdrawing both end the demand, so exactly one of them
    wins; confirming wins too when it came first. Whatever the order, the history has one
    step per winner, in order, and nothing from a loser."""
    world = people_world
    demands = [preparing_demand(world) for _ in range(4)]
    start = threading.Barrier(len(demands) * len(RACERS))

    def racer(name, demand):
        def work():
            start.wait(JOIN_TIMEOUT)
            return RACERS[name](world, Demand.objects.get(pk=demand.pk))

        return work

    jobs = [(name, demand) for demand in demands for name in RACERS]
    results = in_threads(*(racer(name, demand) for name, demand in jobs))

    for demand in demands:
        outcome = {name: result for (name, d), result in zip(jobs, results, strict=True) if d == demand}
        won = {name for name, result in outcome.items() if isinstance(result, Demand)}
        for name, result in outcome.items():
            if name not in won:
                assert isinstance(result, workflow.WorkflowError), result
                assert result.code == "not_allowed_now", result.messages
        assert won in ({"cancel"}, {"withdraw"}, {"confirm", "cancel"}, {"confirm", "withdraw"}), won
        changes = assert_history_is_consistent(demand)
        assert [c.action for c in changes[2:]] == sorted(won, key=lambda a: a != "confirm")
        assert demand.status in (S.CANCELLED, S.WITHDRAWN)
    assert_audit_chain_holds()


PROCESSES, LEDGER_PER_PROCESS, NOTES_PER_PROCESS = 4, 3, 2


def test_several_processes_at_once_lose_no_update(people_world, tmp_path):
    """Separate processes, each with its own Django and database connection (as the app
    server's workers are), on the same two demands (tests/demands/_race_process.py)."""
    world = people_world
    contested = register(world)
    shared = preparing_demand(world)
    shared_version = shared.version
    env = dict(
        os.environ,
        DATABASE_URL=shared_database_url(),
        SECRET_KEY=settings.SECRET_KEY,  # the audit chain's key
        QUEUE_IMMEDIATE="1",
        QI_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="qiservice.settings",
    )
    go = tmp_path / "go"
    processes = []
    for i in range(PROCESSES):
        spec = {
            "username": world.people.specialist.username,
            "contested": contested.pk,
            "version": contested.version,
            "shared": shared.pk,
            "ledger": LEDGER_PER_PROCESS,
            "notes": NOTES_PER_PROCESS,
            "tag": i,
            "ready": str(tmp_path / f"ready-{i}"),
            "go": str(go),
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.demands._race_process", json.dumps(spec)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + JOIN_TIMEOUT
    while not all((tmp_path / f"ready-{i}").exists() for i in range(PROCESSES)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), [
            p.communicate()[1][-2000:] for p in processes if p.poll() is not None
        ]
        time.sleep(0.05)
    go.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=JOIN_TIMEOUT)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sorted(r["transition"] for r in results) == ["stale"] * (PROCESSES - 1) + ["won"], results
    contested.refresh_from_db()
    assert (contested.status, contested.version) == (S.PREPARING, 2)
    assert StatusChange.objects.filter(demand=contested, action="start_preparation").count() == 1
    assert transition_audits(contested) == ["start_preparation"]

    assert [(r["ledger"], r["notes"]) for r in results] == [(LEDGER_PER_PROCESS, NOTES_PER_PROCESS)] * PROCESSES
    entries = LedgerEntry.objects.filter(demand=shared)
    notes_stored = Note.objects.filter(demand=shared)
    assert entries.count() == PROCESSES * LEDGER_PER_PROCESS
    assert notes_stored.count() == PROCESSES * NOTES_PER_PROCESS
    assert len(set(entries.values_list("problem", flat=True))) == PROCESSES * LEDGER_PER_PROCESS
    assert len(set(notes_stored.values_list("text", flat=True))) == PROCESSES * NOTES_PER_PROCESS
    shared.refresh_from_db()
    assert shared.version == shared_version + PROCESSES * (LEDGER_PER_PROCESS + NOTES_PER_PROCESS)
    assert created_audits(LedgerEntry, entries.values_list("pk", flat=True)) == PROCESSES * LEDGER_PER_PROCESS
    assert created_audits(Note, notes_stored.values_list("pk", flat=True)) == PROCESSES * NOTES_PER_PROCESS
    assert_history_is_consistent(contested)
    assert_history_is_consistent(shared)
    assert_audit_chain_holds()


# --- told, sequentially ----------------------------------------------------------------------

STALE_ACTIONS = {
    "confirm": lambda w, d, v: workflow.confirm(
        d, by=w.people.specialist, mode="direct", reason="企业需求明确", expected_version=v
    ),
    "save_preparation": lambda w, d, v: workflow.save_preparation(
        d, by=w.people.specialist, expected_version=v, **preparation_data()
    ),
    "add_ledger_entry": lambda w, d, v: workflow.add_ledger_entry(
        d, by=w.people.specialist, expected_version=v, **ledger_data()
    ),
    "add_note": lambda w, d, v: workflow.add_note(
        d, by=w.people.officer_jimei, kind="instruction", text="请本周内完成", expected_version=v
    ),
    "assign": lambda w, d, v: workflow.assign(d, w.sp_siming, by=w.people.admin, expected_version=v),
    "withdraw": lambda w, d, v: workflow.withdraw(
        d, by=w.people.enterprise_user, reason="不再需要", expected_version=v
    ),
    "cancel": lambda w, d, v: workflow.cancel(d, by=w.people.officer_jimei, reason="重复登记", expected_version=v),
}


def counts(demand):
    return {
        "changes": demand.status_changes.count(),
        "notes": demand.notes.count(),
        "ledger": demand.ledger_entries.count(),
        "assignments": demand.assignments.count(),
        "prep": type(demand).objects.filter(pk=demand.pk, preparation__isnull=False).count(),
    }


@pytest.mark.parametrize("action", sorted(STALE_ACTIONS))
def test_acting_on_an_old_version_is_refused_and_writes_nothing(world, register, action):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    loaded = Demand.objects.get(pk=demand.pk)  # what the page showed
    # Meanwhile someone else changes the demand.
    workflow.add_note(demand, by=sp, kind="progress", text="已电话联系企业")
    current = Demand.objects.get(pk=demand.pk)
    before = counts(current)

    with pytest.raises(workflow.StaleDemandError) as error:
        STALE_ACTIONS[action](world, loaded, loaded.version)

    assert error.value.code == "stale"
    assert f"当前第{current.version}版" in error.value.messages[0]
    after = Demand.objects.get(pk=demand.pk)
    assert (after.status, after.version, after.specialist_id) == (current.status, current.version, world.sp_jimei.pk)
    assert counts(after) == before


def test_acting_on_the_current_version_succeeds(world, register):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    current = Demand.objects.get(pk=demand.pk)
    workflow.save_preparation(current, by=sp, expected_version=current.version, **preparation_data())
    assert Demand.objects.get(pk=demand.pk).version == current.version + 1
