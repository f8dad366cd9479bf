"""The demo demands: every status, work for each demo login, made through the rules, once.

The demo is loaded once for the class (setUpTestData) and rolled back after it.
"""

import datetime
import itertools

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from qiservice.accounts.models import User
from qiservice.core.models import AuditLog
from qiservice.demands import timeline
from qiservice.demands.choices import AssignmentStatus, CaseStatus, DemandStatus, DispatchStatus
from qiservice.demands.models import (
    Demand,
    Dispatch,
    LedgerEntry,
    Note,
    StatusChange,
    TypicalCase,
)
from qiservice.evaluations.models import Evaluation
from qiservice.notifications.models import Notification


def visible(user):
    return Demand.objects.restrict(user, "view")


class DemoDemandTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", "--quiet-logins")

    def setUp(self):
        self.demo = {u.username: u for u in User.objects.all()}

    def test_the_demo_has_demands_in_every_status(self):
        statuses = list(Demand.objects.values_list("status", flat=True))
        assert 40 <= len(statuses) <= 60
        assert set(statuses) == set(DemandStatus.values)
        for busy in (DemandStatus.REGISTERED, DemandStatus.IN_SERVICE, DemandStatus.CLOSED):
            assert statuses.count(busy) >= 3, busy

    def test_every_demo_demand_was_made_through_the_rules(self):
        today = timezone.localdate()
        collected = list(Demand.objects.values_list("collected_on", flat=True))
        assert max(collected) <= today and min(collected) <= today - datetime.timedelta(days=90)
        for demand in Demand.objects.all():
            changes = list(StatusChange.objects.filter(demand=demand).order_by("pk"))
            assert changes[0].action == "register"
            for before, after in itertools.pairwise(changes):
                assert after.from_status == before.to_status
            assert changes[-1].to_status == demand.status
            assert AuditLog.objects.filter(target_id=str(demand.pk), event_type="created").exists()
            events = [e for e in timeline.build(demand, self.demo["admin"]) if e.kind == "transition"]
            assert len(events) == len(changes)
        numbers = sorted(Demand.objects.values_list("number", flat=True))
        assert numbers == [f"QI-{today.year}-{n:06d}" for n in range(1, len(numbers) + 1)]

    def test_the_specialist_login_has_work_in_several_stages(self):
        specialist = self.demo["specialist"]
        own = visible(specialist).filter(specialist__user=specialist)
        stages = set(own.values_list("status", flat=True))
        assert {
            DemandStatus.PREPARING,
            DemandStatus.CONFIRMED,
            DemandStatus.ESCALATED,
            DemandStatus.IN_SERVICE,
            DemandStatus.SUMMARY_SUBMITTED,
            DemandStatus.CLOSED,
        } <= stages
        assert LedgerEntry.objects.filter(demand__in=own, author=specialist).exists()
        assert TypicalCase.objects.filter(demand__in=own, status=CaseStatus.APPROVED, is_published=True).exists()

    def test_the_institution_login_has_a_pending_and_an_accepted_dispatch(self):
        staff = self.demo["institution"]
        mine = Dispatch.objects.filter(institution__name="厦门市计量检定测试院")
        pending = mine.filter(status=DispatchStatus.PENDING)
        accepted = mine.filter(status=DispatchStatus.ACCEPTED)
        assert pending.filter(escalation__demand__status=DemandStatus.DISPATCHED).exists()
        assert accepted.filter(escalation__demand__status=DemandStatus.ACCEPTED).exists()
        assert accepted.filter(responded_by=staff).count() >= 3
        ids = set(visible(staff).values_list("pk", flat=True))
        assert set(pending.values_list("escalation__demand", flat=True)) <= ids
        assert LedgerEntry.objects.filter(author=staff).exists(), "the institution served the assisted demands"

    def test_the_enterprise_login_has_demands_one_waiting_for_its_evaluation(self):
        user = self.demo["enterprise"]
        own = visible(user)
        assert own.count() >= 4
        assert {d.enterprise_id for d in own} == set(user.role_assignments.values_list("enterprise", flat=True))
        waiting = own.filter(
            status__in=[DemandStatus.SERVICE_ENDED, DemandStatus.SUMMARY_SUBMITTED], evaluation__isnull=True
        )
        assert waiting.exists()
        assert any(i.is_usable for d in waiting for i in d.evaluation_invitations.all())
        assert own.filter(status=DemandStatus.REGISTERED, registered_by=user, source="web").exists()
        assert Evaluation.objects.filter(demand__in=own, channel="portal", submitted_by=user).exists()

    def test_the_jimei_officer_sees_demands_to_dispatch_and_to_assign(self):
        officer = self.demo["staff_jimei"]
        desk = visible(officer)
        assert set(desk.values_list("district__name", flat=True)) == {"集美区"}
        assert desk.filter(status=DemandStatus.ESCALATED).count() >= 2
        assert desk.filter(status=DemandStatus.REGISTERED, specialist__isnull=True).count() >= 2
        declined = desk.filter(escalations__dispatches__status=DispatchStatus.DECLINED, status=DemandStatus.ESCALATED)
        assert declined.exists(), "one came back after an institution declined"
        assert desk.filter(assignments__status=AssignmentStatus.DECLINED).exists()
        assert Note.objects.filter(author=officer, kind="instruction").exists()

    def test_typical_cases_are_nominated_and_reviewed(self):
        cases = TypicalCase.objects.select_related("demand__enterprise")
        assert cases.filter(status=CaseStatus.APPROVED).count() >= 2
        assert cases.filter(status=CaseStatus.NOMINATED).exists()
        for case in cases:
            assert case.demand.enterprise.name not in case.masked_enterprise

    def test_a_second_run_changes_nothing(self):
        def counts():
            return (
                Demand.objects.count(),
                StatusChange.objects.count(),
                LedgerEntry.objects.count(),
                Evaluation.objects.count(),
                Notification.objects.count(),
                AuditLog.objects.count(),
                User.objects.count(),
            )

        before = counts()
        call_command("seed_demo", "--quiet-logins")
        assert counts() == before
