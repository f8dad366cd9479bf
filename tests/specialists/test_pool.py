import itertools

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.specialists import workflow
from qiservice.specialists.choices import STATUS_TRANSITIONS, SpecialistStatus
from qiservice.specialists.models import Specialist, SpecialistStatusChange


def new_specialist_form(world, **overrides):
    data = {
        "username": "lin_new",
        "name": "林新",
        "phone": "13600001234",
        "district": world.jimei.pk,
        "capacity": 4,
        "expertise": "计量器具校准、测量管理体系",
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "fields-0-field": "metrology",
        "fields-0-proficiency": "expert",
    }
    data.update(overrides)
    return data


def test_the_agency_opens_a_specialist_with_a_login_and_sees_the_password_once(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/specialists/new/", new_specialist_form(world), follow=True)
    specialist = Specialist.objects.get(name="林新")
    assert specialist.status == SpecialistStatus.APPLICANT
    assert specialist.user.username == "lin_new"
    assert [(f.field, f.proficiency) for f in specialist.fields.all()] == [("metrology", "expert")]
    message = next(str(m) for m in response.context["messages"])
    password = message.split("初始密码：")[1].split("（")[0]
    assert specialist.user.check_password(password)
    assert specialist.status_changes.get().to_status == SpecialistStatus.APPLICANT


def test_a_taken_username_is_refused_and_nothing_is_created(world, login):
    client = login(world.people.admin)
    response = client.post("/specialists/new/", new_specialist_form(world, username="sp_jimei"))
    assert "该登录账号已存在" in response.content.decode()
    assert not Specialist.objects.filter(name="林新").exists()


def test_an_officer_cannot_open_a_specialist_in_another_district(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/specialists/new/", new_specialist_form(world, district=world.siming.pk))
    assert "district" in response.context["form"].errors
    assert not Specialist.objects.filter(name="林新").exists()


def test_status_changes_need_a_reason_and_are_kept_in_history(world, login):
    client = login(world.people.officer_jimei)
    url = f"/specialists/{world.sp_jimei.pk}/status/"
    refused = client.post(url, {"to_status": "suspended", "reason": ""}, follow=True)
    assert "原因" in refused.content.decode()
    world.sp_jimei.refresh_from_db()
    assert world.sp_jimei.status == SpecialistStatus.ACTIVE

    client.post(url, {"to_status": "suspended", "reason": "培训学时不足"})
    world.sp_jimei.refresh_from_db()
    assert world.sp_jimei.status == SpecialistStatus.SUSPENDED
    change = SpecialistStatusChange.objects.filter(specialist=world.sp_jimei).latest("pk")
    assert (change.from_status, change.to_status, change.reason) == ("active", "suspended", "培训学时不足")
    assert change.changed_by == world.people.officer_jimei
    page = client.get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    assert "培训学时不足" in page
    assert AuditLog.objects.filter(event_type=AuditEvent.UPDATED, target_id=str(world.sp_jimei.pk)).exists()


def test_a_specialist_edits_their_profile_but_not_pool_fields(world, login):
    client = login(world.people.specialist)
    form = client.get(f"/specialists/{world.sp_jimei.pk}/edit/").context["form"]
    assert "capacity" not in form.fields
    assert "district" not in form.fields
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"expertise": "计量校准与测量不确定度评定", "capacity": 50})
    data.update({"fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0", "fields-0-field": "metrology"})
    data["fields-0-proficiency"] = "expert"
    response = client.post(f"/specialists/{world.sp_jimei.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    world.sp_jimei.refresh_from_db()
    assert world.sp_jimei.expertise == "计量校准与测量不确定度评定"
    assert world.sp_jimei.capacity == 5


class StatusMachineTests(TestCase):
    """Any sequence of status changes keeps the history consistent with the status."""

    @classmethod
    def setUpTestData(cls):
        from qiservice.accounts.choices import Role
        from qiservice.accounts.models import Agency, District

        from ..conftest import make_specialist, make_user

        district = District.objects.create(agency=Agency.objects.create(name="a"), name="集美区", code="350211")
        cls.admin = make_user("admin", Role.AGENCY_ADMIN)
        cls.specialist = make_specialist("sp", district, status=SpecialistStatus.APPLICANT)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.sampled_from(SpecialistStatus.values), max_size=8))
    def test_random_status_sequences(self, targets):
        specialist = Specialist.objects.get(pk=self.specialist.pk)
        SpecialistStatusChange.objects.filter(specialist=specialist).delete()
        Specialist.objects.filter(pk=specialist.pk).update(status=SpecialistStatus.APPLICANT)
        expected = SpecialistStatus.APPLICANT
        accepted = 0
        for target in targets:
            allowed = target in STATUS_TRANSITIONS[expected]
            try:
                workflow.change_status(specialist, target, by=self.admin, reason="测试")
            except ValidationError:
                assert not allowed
            else:
                assert allowed
                expected = target
                accepted += 1
        specialist.refresh_from_db()
        assert specialist.status == expected
        history = list(specialist.status_changes.order_by("pk"))
        assert len(history) == accepted
        for before, after in itertools.pairwise(history):
            assert after.from_status == before.to_status
        if history:
            assert history[-1].to_status == expected


@pytest.mark.parametrize("status", [SpecialistStatus.RETIRED])
def test_a_retired_specialist_cannot_come_back(world, status):
    workflow.change_status(world.sp_jimei, status, by=world.people.admin, reason="退出")
    with pytest.raises(ValidationError) as error:
        workflow.change_status(world.sp_jimei, SpecialistStatus.ACTIVE, by=world.people.admin, reason="返回")
    assert "不能变更为" in error.value.messages[0]
