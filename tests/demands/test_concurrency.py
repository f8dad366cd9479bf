"""Several people at once, with real threads against the real database.

- Registrations from many threads at once get the numbers QI-<year>-000001 … without a
  gap or a duplicate (the per-year counter row is locked).
- Two people acting on one demand at once: one wins; the other waits for the lock, is
  then told that the demand changed (or that it cannot act in the new state), and
  nothing of theirs is written.

The threads need a database where writers wait for each other. PostgreSQL is one (CI
runs these tests on it). SQLite's in-memory test database is not: its shared cache
answers a second writer with "database table is locked" at once. On SQLite the fixture
`concurrent_db` therefore copies the test database to a file for the test and points
every new connection at it; the file is opened with the project's own SQLite options
(WAL, BEGIN IMMEDIATE, a busy timeout), as in production.
"""

import sqlite3
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.models import Demand, DemandSequence, LedgerEntry, Note, StatusChange

from ._prop_world import build_world
from .conftest import ledger_data, preparation_data

THREADS, PER_THREAD = 8, 3
JOIN_TIMEOUT = 60
HELD = 0.5  # how long the first actor holds the lock while the second must wait


@pytest.fixture
def concurrent_db(transactional_db, tmp_path):
    """The test database with real commits, reachable from several threads at once."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    memory = connection.connection  # kept open: it holds the in-memory test database
    path = tmp_path / "concurrency.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    original = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        connection.connection = memory


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
