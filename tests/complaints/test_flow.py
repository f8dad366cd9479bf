"""Complaint handling: submission rules, the step flow with working-day time limits
(across a holiday), who sees what, and the indicator for the performance assessment."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qiservice.complaints import workflow
from qiservice.complaints.choices import ComplaintStatus as S
from qiservice.complaints.models import Complaint, ComplaintStep
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.deadlines.choices import DayKind
from qiservice.deadlines.models import Holiday
from qiservice.notifications.models import Notification

from .helpers import make_complaint, served_demand

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(y, m, d, h=10):
    return time_machine.travel(datetime.datetime(y, m, d, h, tzinfo=TZ), tick=False)


def national_day_2027():
    """2027: 10-01 (Fri) to 10-07 holidays, Saturday 10-09 a make-up working day."""
    for day in range(1, 8):
        Holiday.objects.create(date=datetime.date(2027, 10, day), kind=DayKind.HOLIDAY, name="国庆节")
    Holiday.objects.create(date=datetime.date(2027, 10, 9), kind=DayKind.WORKDAY, name="国庆节调休")


def run_to(complaint, status, by):
    steps = {
        S.ACKNOWLEDGED: lambda c: workflow.acknowledge(c, by=by, note="已收到"),
        S.INVESTIGATED: lambda c: workflow.investigate(c, by=by, findings="约见双方，核实了上门记录。"),
        S.ANSWERED: lambda c: workflow.answer(c, by=by, answer="经核实，投诉属实，已约谈服务专员。", upheld=True),
        S.CLOSED: lambda c: workflow.close(c, by=by),
    }
    for target in [S.ACKNOWLEDGED, S.INVESTIGATED, S.ANSWERED, S.CLOSED]:
        complaint = steps[target](complaint)
        if target == status:
            return complaint
    return complaint


def test_submission_is_numbered_audited_notified_and_due_in_working_days(world):
    national_day_2027()
    with at(2027, 9, 30):
        complaint = make_complaint(world)
    assert complaint.number == f"TS-2027-{complaint.pk:06d}"
    assert complaint.status == S.RECEIVED
    # Two working days from Thursday 09-30 across the National Day holiday: Fri 10-08 and
    # the make-up Saturday 10-09 (without the holiday it would be Mon 10-04).
    assert complaint.due_on == datetime.date(2027, 10, 9)
    assert AuditLog.objects.filter(event_type=AuditEvent.CREATED, target_id=str(complaint.pk)).exists()
    notified = set(Notification.objects.filter(kind="complaint").values_list("user__username", flat=True))
    assert notified == {"admin", "officer_jimei"}


def test_overdue_steps_are_flagged_and_late_steps_recorded(world, login):
    national_day_2027()
    with at(2027, 9, 30):
        complaint = make_complaint(world)
    with at(2027, 10, 9, 17):
        assert not Complaint.objects.get(pk=complaint.pk).is_overdue
        assert Complaint.objects.overdue().count() == 0
    with at(2027, 10, 11):
        stored = Complaint.objects.get(pk=complaint.pk)
        assert stored.is_overdue
        html = login(world.people.officer_jimei).get("/complaints/?overdue=on").content.decode()
        assert complaint.number in html and 'data-testid="overdue"' in html
        done = workflow.acknowledge(stored, by=world.people.officer_jimei)
    step = ComplaintStep.objects.get(complaint=complaint, to_status=S.ACKNOWLEDGED)
    assert step.was_late and step.due_on == datetime.date(2027, 10, 9)
    # The investigation has 10 working days from Monday 10-11.
    assert done.due_on == datetime.date(2027, 10, 25)


def test_the_flow_runs_in_order_and_each_step_is_audited(world):
    complaint = make_complaint(world)
    officer = world.people.officer_jimei
    with pytest.raises(ValidationError):
        workflow.answer(complaint, by=officer, answer="跳过调查", upheld=False)
    assert Complaint.objects.get(pk=complaint.pk).status == S.RECEIVED
    closed = run_to(complaint, S.CLOSED, officer)
    assert closed.status == S.CLOSED and closed.due_on is None and closed.closed_at is not None
    assert list(closed.steps.values_list("to_status", flat=True)) == [
        S.RECEIVED,
        S.ACKNOWLEDGED,
        S.INVESTIGATED,
        S.ANSWERED,
        S.CLOSED,
    ]
    assert AuditLog.objects.filter(event_type=AuditEvent.TRANSITION, target_id=str(complaint.pk)).count() == 4


def test_answer_needs_text_and_a_verdict(world):
    complaint = run_to(make_complaint(world), S.INVESTIGATED, world.people.admin)
    with pytest.raises(ValidationError) as error:
        workflow.answer(complaint, by=world.people.admin, answer="", upheld=None)
    assert set(error.value.message_dict) == {"answer", "upheld"}
    assert Complaint.objects.get(pk=complaint.pk).status == S.INVESTIGATED


def test_submission_rules(world, login):
    demand = served_demand(world)
    user = world.people.enterprise_user
    base = {"enterprise": world.ent_jimei, "by": user, "subject": "拖延", "text": "已经一个月了还没有安排服务。"}
    with pytest.raises(ValidationError) as error:
        workflow.submit(**base)
    assert "demand" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        workflow.submit(**base, specialist=world.sp_siming)
    assert error.value.message_dict["specialist"] == ["该服务专员未承办过本企业的服务需求。"]
    with pytest.raises(PermissionDenied):
        workflow.submit(**{**base, "enterprise": world.ent_siming}, demand=demand)
    assert Complaint.objects.count() == 0
    workflow.submit(**base, demand=demand)
    assert Complaint.objects.count() == 1


def test_enterprise_submits_through_the_form_and_follows_it(world, login):
    demand = served_demand(world)
    client = login(world.people.enterprise_user)
    form = client.get("/complaints/new/").content.decode()
    assert demand.number in form and "王建华" in form
    assert "厦门思明电子科技有限公司" not in form
    response = client.post(
        "/complaints/new/",
        {
            "enterprise": world.ent_jimei.pk,
            "demand": demand.pk,
            "specialist": world.sp_jimei.pk,
            "subject": "服务专员爽约",
            "text": "约定的上门时间三次未到，也没有提前通知。",
        },
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/complaints/{complaint.pk}/"
    run_to(complaint, S.ANSWERED, world.people.officer_jimei)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "经核实，投诉属实，已约谈服务专员。" in page
    assert "约见双方" not in page  # the investigation notes are internal
    assert "投诉成立" in page


def test_the_specialist_reads_the_complaint_only_once_answered(world, login):
    complaint = make_complaint(world)
    specialist = login(world.people.specialist)
    assert specialist.get(f"/complaints/{complaint.pk}/").status_code == 404
    assert specialist.get(f"/api/complaints/{complaint.pk}").status_code == 404
    assert complaint.number not in specialist.get("/complaints/").content.decode()
    run_to(complaint, S.INVESTIGATED, world.people.admin)
    assert specialist.get(f"/complaints/{complaint.pk}/").status_code == 404
    workflow.answer(
        Complaint.objects.get(pk=complaint.pk), by=world.people.admin, answer="经核实，已约谈服务专员。", upheld=True
    )
    page = specialist.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "约定的上门时间三次未到" in page and "已约谈服务专员" in page
    assert "约见双方" not in page
    assert 'name="note"' not in page  # reads only
    assert specialist.post(f"/complaints/{complaint.pk}/close/").status_code == 403
    assert Notification.objects.filter(user=world.people.specialist, kind="complaint").exists()


def test_scope_of_complaints(world, login):
    complaint = make_complaint(world)
    for name in ("officer_siming", "specialist_siming", "institution_staff", "outsider"):
        client = login(getattr(world.people, name))
        assert client.get(f"/complaints/{complaint.pk}/").status_code == 404, name
        assert client.get(f"/api/complaints/{complaint.pk}").status_code == 404, name
    assert login(world.people.officer_siming).get("/api/complaints").json()["items"] == []
    listing = login(world.people.officer_jimei).get("/complaints/").content.decode()
    assert complaint.number in listing
    # The enterprise user reads but does not handle.
    assert login(world.people.enterprise_user).post(f"/complaints/{complaint.pk}/acknowledge/").status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).status == S.RECEIVED


def test_agency_handles_a_step_through_htmx(world, login):
    complaint = make_complaint(world)
    response = login(world.people.officer_jimei).post(
        f"/complaints/{complaint.pk}/acknowledge/", {"note": "已电话告知企业"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="complaint-page"' in html and "已电话告知企业" in html
    assert Complaint.objects.get(pk=complaint.pk).status == S.ACKNOWLEDGED


def test_upheld_count_counts_upheld_complaints_closed_in_the_period(world):
    admin = world.people.admin
    with at(2026, 3, 2):
        upheld = run_to(make_complaint(world), S.CLOSED, admin)
        rejected = run_to(make_complaint(world), S.ANSWERED, admin)
    assert Complaint.objects.get(pk=rejected.pk).upheld is True  # upheld, but not closed
    with at(2026, 4, 1):
        # Upheld but not closed yet: not counted.
        open_one = run_to(make_complaint(world), S.ANSWERED, admin)
        not_upheld = run_to(make_complaint(world), S.INVESTIGATED, admin)
        workflow.answer(not_upheld, by=admin, answer="经核实不属实。", upheld=False)
        workflow.close(Complaint.objects.get(pk=not_upheld.pk), by=admin)
    assert upheld.closed_at is not None
    assert workflow.upheld_count(world.sp_jimei, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)) == 1
    assert workflow.upheld_count(world.sp_jimei, datetime.date(2026, 4, 1), datetime.date(2026, 4, 30)) == 0
    assert workflow.upheld_count(world.sp_jimei, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)) == 1
    assert workflow.upheld_count(world.sp_siming, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)) == 0
    assert open_one.status == S.ANSWERED


def test_api_submit_list_detail_answer(world, login):
    demand = served_demand(world)
    client = login(world.people.enterprise_user)
    response = client.post(
        "/api/complaints",
        {"demand": demand.pk, "subject": "报告延误", "text": "检测报告比约定晚了两周才拿到。"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "received" and body["enterprise"] == world.ent_jimei.pk
    assert [c["number"] for c in client.get("/api/complaints").json()["items"]] == [body["number"]]
    bad = client.post(
        "/api/complaints",
        {"demand": demand.pk, "subject": "x", "text": "短"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["msg"] == "请具体描述投诉内容（至少10个字）。"
    assert Complaint.objects.count() == 1
    complaint = run_to(Complaint.objects.get(), S.INVESTIGATED, world.people.officer_jimei)
    answered = login(world.people.officer_jimei).post(
        f"/api/complaints/{complaint.pk}/answer",
        {"answer": "已协调检测机构加急。", "upheld": False},
        content_type="application/json",
    )
    assert answered.status_code == 200 and answered.json()["upheld"] is False
    assert client.get(f"/api/complaints/{complaint.pk}").json()["answer"] == "已协调检测机构加急。"
