import pytest

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.enterprises.models import Enterprise

VALID = {
    "name": "厦门新登记电子有限公司",
    "credit_code": "91350211MA00000010",  # fixed below with the right check character
    "address": "厦门市集美区杏林湾路1号",
    "industry": "C",
    "size": "small",
    "contact_name": "张三",
    "contact_phone": "13912345678",
    "contact_email": "",
    "contacts-TOTAL_FORMS": "0",
    "contacts-INITIAL_FORMS": "0",
}


def valid_code(body="91350211MA0000001"):
    from qiservice.core.validators import credit_code_check_character

    return body + credit_code_check_character(body)


def form_data(world, **overrides):
    data = dict(VALID, district=world.jimei.pk, credit_code=valid_code())
    data.update(overrides)
    return data


def test_officer_registers_an_enterprise_with_contacts_and_it_is_audited(world, login):
    client = login(world.people.officer_jimei)
    data = form_data(
        world,
        credit_code=valid_code().lower(),
        **{
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-name": "李四",
            "contacts-0-position": "质量部经理",
            "contacts-0-phone": "0592-6001234",
        },
    )
    response = client.post("/enterprises/new/", data)
    enterprise = Enterprise.objects.get(name=VALID["name"])
    assert response.status_code == 302
    assert response["Location"] == f"/enterprises/{enterprise.pk}/"
    assert enterprise.credit_code == valid_code(), "the code is stored in upper case"
    assert enterprise.created_by == world.people.officer_jimei
    assert [c.name for c in enterprise.contacts.all()] == ["李四"]
    created = AuditLog.objects.get(event_type=AuditEvent.CREATED, target_id=str(enterprise.pk))
    assert created.actor == world.people.officer_jimei
    assert created.changes["name"] == VALID["name"]
    assert created.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91350211MA00000011", "校验位不正确"),
        ("credit_code", "12345", "应为18位"),
        ("contact_phone", "12345", "有效的联系电话"),
        ("contact_email", "not-an-email", "有效的 Email"),
        ("name", "", "这个字段是必填项"),
    ],
)
def test_bad_input_shows_a_chinese_error_next_to_the_field_and_saves_nothing(world, login, field, value, message):
    client = login(world.people.officer_jimei)
    before = (Enterprise.objects.count(), AuditLog.objects.count())
    response = client.post("/enterprises/new/", form_data(world, **{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert (Enterprise.objects.count(), AuditLog.objects.count()) == before


def test_a_duplicate_credit_code_is_refused_with_a_hint(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/enterprises/new/", form_data(world, credit_code=world.ent_jimei.credit_code))
    assert "该统一社会信用代码已登记" in response.content.decode()
    assert Enterprise.objects.filter(credit_code=world.ent_jimei.credit_code).count() == 1


def test_an_officer_cannot_place_an_enterprise_in_another_district(world, login):
    client = login(world.people.officer_jimei)
    response = client.post("/enterprises/new/", form_data(world, district=world.siming.pk))
    assert "district" in response.context["form"].errors
    assert not Enterprise.objects.filter(name=VALID["name"]).exists()


def test_editing_records_only_what_changed(world, login):
    client = login(world.people.officer_jimei)
    enterprise = world.ent_jimei
    page = client.get(f"/enterprises/{enterprise.pk}/edit/")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update({"district": enterprise.district_id, "size": "medium", "contacts-TOTAL_FORMS": "0"})
    data["contacts-INITIAL_FORMS"] = "0"
    response = client.post(f"/enterprises/{enterprise.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    entry = AuditLog.objects.filter(event_type=AuditEvent.UPDATED, target_id=str(enterprise.pk)).latest("pk")
    assert entry.changes["size"] == ["", "medium"]
    assert "name" not in entry.changes


def test_a_concurrent_edit_is_refused_and_the_other_change_kept(world, login):
    enterprise = world.ent_jimei
    alice, bob = login(world.people.officer_jimei), login(world.people.admin)
    page = alice.get(f"/enterprises/{enterprise.pk}/edit/")
    stale = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    stale.update({"district": enterprise.district_id, "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"})

    fresh = dict(stale, main_products="bob's products")
    assert bob.post(f"/enterprises/{enterprise.pk}/edit/", fresh).status_code == 302

    response = alice.post(f"/enterprises/{enterprise.pk}/edit/", dict(stale, main_products="alice's products"))
    assert response.status_code == 200
    assert "已被其他人修改" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.main_products == "bob's products"


def test_viewing_an_enterprise_is_audited(world, login):
    client = login(world.people.specialist)
    response = client.get(f"/enterprises/{world.ent_jimei.pk}/")
    assert world.ent_jimei.credit_code in response.content.decode()
    view = AuditLog.objects.get(event_type=AuditEvent.VIEWED, target_id=str(world.ent_jimei.pk))
    assert view.actor == world.people.specialist


def test_list_filters_search_and_sorting(world, login):
    client = login(world.people.admin)
    by_district = client.get("/enterprises/", {"district": world.siming.pk}).content.decode()
    assert world.ent_siming.name in by_district
    assert world.ent_jimei.name not in by_district

    search = client.get("/enterprises/", {"q": "湖里食品"}).content.decode()
    assert world.ent_huli.name in search
    assert world.ent_siming.name not in search

    by_code = client.get("/enterprises/", {"q": world.ent_jimei.credit_code[:10]})
    assert [e.pk for e in by_code.context["page"].object_list] == [world.ent_jimei.pk]

    names = [e.name for e in client.get("/enterprises/", {"sort": "-name"}).context["page"].object_list]
    assert names == sorted(names, reverse=True)


def test_an_out_of_scope_district_filter_shows_nothing_and_leaks_nothing(world, login):
    client = login(world.people.officer_jimei)
    response = client.get("/enterprises/", {"district": world.siming.pk})
    assert response.context["page"].paginator.count == 0 or world.ent_siming.name not in response.content.decode()


def test_pagination_keeps_the_filters(world, login, settings):
    settings.PAGE_SIZE = 2
    client = login(world.people.admin)
    response = client.get("/enterprises/", {"industry": "C"})
    assert response.context["page"].paginator.num_pages == 2
    assert "industry=C&page=2" in response.content.decode()


def test_htmx_filtering_returns_only_the_table(world, login):
    client = login(world.people.admin)
    response = client.get("/enterprises/", {"q": "集美"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="object-table")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="object-table">')
    assert world.ent_jimei.name in body
    assert "<html" not in body
