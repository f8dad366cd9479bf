"""Phone numbers and e-mail addresses are masked in lists, exports, the API and documents
unless the role needs them in full — one rule (qiservice/core/masking.py), checked here for
each role on a list page, an Excel export and an API answer.

The world: two 集美 enterprises. E1's demand D1 is served by 王建华 (sp_jimei) and was
accepted by 厦门市计量检定测试院 (the institution staff's); E2's demand D2 is served by a
second 集美 specialist and is dispatched to the same institution, not yet accepted.
"""

import io

import pytest
from openpyxl import load_workbook

from qiservice.core.masking import can_see_contact, mask_email, mask_phone
from qiservice.core.validators import credit_code_check_character
from qiservice.core.visibility import get_scope
from qiservice.demands import workflow
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist
from tests.conftest import make_enterprise, make_specialist
from tests.demands.conftest import preparation_data

F, M, ABSENT = "full", "masked", "absent"
ROLES = ["admin", "officer_jimei", "specialist", "institution_staff", "enterprise_user", "auditor"]

# Expected per role: enterprise E1, E2; demand D1, D2; specialist sp_jimei, sp_b, sp_siming.
ENTERPRISES = {
    "admin": (F, F),
    "officer_jimei": (F, F),  # their district
    "specialist": (F, M),  # serves E1 only
    "institution_staff": (F, M),  # D1 accepted, D2 only dispatched
    "enterprise_user": (F, ABSENT),  # their own
    "auditor": (M, M),  # read-only: masked
}
DEMANDS = {
    "admin": (F, F),
    "officer_jimei": (F, F),
    "specialist": (F, ABSENT),
    "institution_staff": (F, M),
    "enterprise_user": (F, ABSENT),
    "auditor": (M, M),
}
SPECIALISTS = {
    "admin": (F, F, F),
    "officer_jimei": (F, F, ABSENT),  # their district's pool
    "specialist": (F, ABSENT, ABSENT),  # themself
    "institution_staff": (F, M, ABSENT),  # the one serving the accepted demand
    "enterprise_user": (F, ABSENT, ABSENT),  # the one serving them
    "auditor": (M, M, M),
}


def escalated(world, enterprise, specialist, phone, email):
    officer = world.people.officer_jimei
    demand = workflow.register_demand(
        by=officer,
        enterprise=enterprise,
        categories=["metrology"],
        source="phone",
        contact_name="张三",
        contact_phone=phone,
        contact_email=email,
        description="量具校准",
    )
    workflow.assign(demand, specialist, by=officer)
    sp = specialist.user
    workflow.respond_to_assignment(demand, by=sp, accept=True)
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要检定资质")
    workflow.escalate(demand, by=sp, reason="需要检定资质", needs="校准")
    workflow.dispatch(demand, by=officer, institutions=[world.metrology])
    return demand


@pytest.fixture
def contacts(world):
    Enterprise.objects.filter(pk=world.ent_jimei.pk).update(
        contact_phone="13700001001", contact_email="li.ming@jimei.example.cn"
    )
    world.ent_jimei.refresh_from_db()
    e2 = make_enterprise(
        "厦门集美第二机械有限公司",
        world.jimei,
        "91350211M0000004X" + credit_code_check_character("91350211M0000004X"),
        contact_phone="13700001002",
        contact_email="wang.wu@second.example.cn",
    )
    sp_b = make_specialist("sp_jimei_b", world.jimei, name="赵敏")
    for specialist, phone in ((world.sp_jimei, "13911110001"), (sp_b, "13911110002"), (world.sp_siming, "13911110003")):
        Specialist.objects.filter(pk=specialist.pk).update(
            phone=phone, email=f"{specialist.user.username}@sp.example.cn"
        )
    d1 = escalated(world, world.ent_jimei, world.sp_jimei, "13800001001", "zhang.san@example.com")
    workflow.accept_dispatch(d1, by=world.people.institution_staff)
    d2 = escalated(world, e2, sp_b, "13800001002", "li.si@example.com")
    return {
        "enterprises": [(world.ent_jimei.name, "13700001001"), (e2.name, "13700001002")],
        "demands": [(d1, "13800001001", "zhang.san@example.com"), (d2, "13800001002", "li.si@example.com")],
        "specialists": [("王建华", "13911110001"), ("赵敏", "13911110002"), ("陈丽", "13911110003")],
        "objects": [world.ent_jimei, e2, d1, d2, world.sp_jimei, sp_b, world.sp_siming],
    }


def in_html(html, phone):
    if phone in html:
        return F
    return M if mask_phone(phone) in html else ABSENT


def xlsx_bytes(response):
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_rows(response):
    ws = load_workbook(io.BytesIO(xlsx_bytes(response)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:]


def in_export(header, rows, key_column, key, column, value):
    """The value's form in the row whose `key_column` is `key`: full, masked or absent."""
    k, c = header.index(key_column), header.index(column)
    found = [row[c] for row in rows if row[k] == key]
    if not found:
        return ABSENT
    assert found == [value] or found == [mask_phone(value) if "@" not in value else mask_email(value)], found
    return F if found == [value] else M


@pytest.mark.parametrize("role", ROLES)
def test_enterprise_contacts_on_the_list_the_export_and_the_api(world, login, contacts, role):
    client = login(getattr(world.people, role))
    expected = ENTERPRISES[role]
    html = client.get("/enterprises/").content.decode()
    assert tuple(in_html(html, phone) for _name, phone in contacts["enterprises"]) == expected

    header, rows = xlsx_rows(client.get("/exports/enterprises.xlsx"))
    shown = tuple(
        in_export(header, rows, "企业名称", name, "联系电话", phone) for name, phone in contacts["enterprises"]
    )
    assert shown == expected
    email = in_export(header, rows, "企业名称", contacts["enterprises"][0][0], "电子邮箱", "li.ming@jimei.example.cn")
    assert email == expected[0], "the e-mail follows the same rule"

    items = {item["name"]: item for item in client.get("/api/enterprises").json()["items"]}
    for (name, phone), want in zip(contacts["enterprises"], expected, strict=True):
        if want == ABSENT:
            assert name not in items
        else:
            assert items[name]["contact_phone"] == (phone if want == F else mask_phone(phone)), name


@pytest.mark.parametrize("role", ROLES)
def test_demand_contacts_on_the_list_the_export_and_the_api(world, login, contacts, role):
    client = login(getattr(world.people, role))
    expected = DEMANDS[role]
    if role != "enterprise_user":  # their list is the portal's (it shows their own numbers)
        html = client.get("/demands/").content.decode()
        assert tuple(in_html(html, phone) for _d, phone, _e in contacts["demands"]) == expected

    header, rows = xlsx_rows(client.get("/exports/demands.xlsx"))
    shown = tuple(in_export(header, rows, "编号", d.number, "联系方式", phone) for d, phone, _e in contacts["demands"])
    assert shown == expected
    emails = tuple(in_export(header, rows, "编号", d.number, "电子邮箱", e) for d, _p, e in contacts["demands"])
    assert emails == expected

    for (demand, phone, email), want in zip(contacts["demands"], expected, strict=True):
        response = client.get(f"/api/demands/{demand.pk}")
        if want == ABSENT or role == "enterprise_user":  # the enterprise reads /api/portal/
            assert response.status_code == 404
            continue
        data = response.json()
        assert data["contact_phone"] == (phone if want == F else mask_phone(phone))
        assert data["contact_email"] == (email if want == F else mask_email(email))


@pytest.mark.parametrize("role", ROLES)
def test_specialist_contacts_on_the_list_the_export_and_the_api(world, login, contacts, role):
    client = login(getattr(world.people, role))
    expected = SPECIALISTS[role]
    html = client.get("/specialists/").content.decode()
    assert tuple(in_html(html, phone) for _name, phone in contacts["specialists"]) == expected

    header, rows = xlsx_rows(client.get("/exports/specialists.xlsx"))
    assert tuple(in_export(header, rows, "姓名", n, "联系电话", p) for n, p in contacts["specialists"]) == expected

    items = {item["name"]: item for item in client.get("/api/specialists").json()["items"]}
    for (name, phone), want in zip(contacts["specialists"], expected, strict=True):
        if want == ABSENT:
            assert name not in items
        else:
            assert items[name]["phone"] == (phone if want == F else mask_phone(phone)), name


def test_the_ledger_export_masks_the_enterprise_and_the_specialist_per_row(world, login, contacts):
    d1, _phone, _email = contacts["demands"][0]
    workflow.add_ledger_entry(
        d1,
        by=world.people.institution_staff,
        entry_on=d1.registered_on,
        enterprise_contact="张三",
        problem="量具未校准",
        handling="上门校准",
    )
    for role, want in (("institution_staff", F), ("officer_jimei", F), ("auditor", M)):
        client = login(getattr(world.people, role))
        header, rows = xlsx_rows(client.get("/exports/ledger.xlsx"))
        assert in_export(header, rows, "需求编号", d1.number, "联系电话", "13800001001") == want, role
        assert in_export(header, rows, "需求编号", d1.number, "服务专员联系电话", "13911110001") == want, role
        book = load_workbook(io.BytesIO(xlsx_bytes(client.get(f"/exports/ledger_demand.xlsx?demand={d1.pk}"))))
        values = [row[1] for row in book.active.iter_rows(min_row=2, max_row=7, values_only=True)]
        assert ("13800001001" in values) == (want == F) and ("138****1001" in values) == (want == M), role
        assert ("13911110001" in values) == (want == F) and ("139****0001" in values) == (want == M), role


def test_detail_pages_show_full_contacts_to_those_serving_and_masked_to_the_others(world, login, contacts):
    e2 = Enterprise.objects.get(name="厦门集美第二机械有限公司")
    for role, want in (("officer_jimei", F), ("specialist", M), ("institution_staff", M), ("auditor", M)):
        html = login(getattr(world.people, role)).get(f"/enterprises/{e2.pk}/").content.decode()
        assert in_html(html, "13700001002") == want, role
        assert ("wang.wu@second.example.cn" in html) == (want == F), role
        assert ("w***@second.example.cn" in html) == (want == M), role
    d1 = contacts["demands"][0][0]
    for role, want in (("institution_staff", F), ("auditor", M)):
        html = login(getattr(world.people, role)).get(f"/demands/{d1.pk}/").content.decode()
        assert in_html(html, "13800001001") == want, role
        assert ("z***@example.com" in html) == (want == M), role
    sp_b = Specialist.objects.get(name="赵敏")
    for role, want in (("officer_jimei", F), ("institution_staff", M), ("auditor", M)):
        html = login(getattr(world.people, role)).get(f"/specialists/{sp_b.pk}/").content.decode()
        assert in_html(html, "13911110002") == want, role


def test_the_verification_queue_masks_applicants_for_the_auditor(world, login):
    from qiservice.public.models import EnterpriseAccountRequest
    from tests.conftest import make_user

    applicant = make_user("applicant")
    EnterpriseAccountRequest.objects.create(
        user=applicant,
        enterprise_name=world.ent_jimei.name,
        credit_code=world.ent_jimei.credit_code,
        contact_name="申请人",
        phone="13612345678",
        email="shen.qing@example.cn",
        district=world.jimei,
        enterprise=world.ent_jimei,
    )
    for role, want in (("admin", F), ("officer_jimei", F), ("auditor", M)):
        html = login(getattr(world.people, role)).get("/public/accounts/").content.decode()
        assert in_html(html, "13612345678") == want, role
        assert ("s***@example.cn" in html) == (want == M), role


def test_the_rule_never_shows_in_full_what_the_role_may_not_see_and_masks_all_for_auditors(world, contacts):
    """Across every role and every object of the world: full implies visible; the admin
    reads everything in full, the auditor nothing; the Python check and the list's SQL
    annotation agree."""
    from qiservice.core.masking import annotate_contact

    people = world.people
    for role in [*ROLES, "officer_siming", "specialist_siming", "outsider"]:
        user = getattr(people, role)
        scope = get_scope(user)
        for obj in contacts["objects"]:
            model = type(obj)
            full = can_see_contact(scope, model.objects.get(pk=obj.pk))
            annotated = annotate_contact(model.objects.filter(pk=obj.pk), scope).get().contact_full
            assert full == annotated, (role, obj)
            if full:
                assert model.objects.restrict(user).filter(pk=obj.pk).exists(), (role, obj)
            if role == "admin":
                assert full, obj
            if role == "auditor":
                assert not full, obj


def test_contact_values_in_the_audit_log_are_read_in_full_by_the_admin_only(world, login, contacts):
    from qiservice.enterprises.workflow import save_enterprise

    e2 = Enterprise.objects.get(name="厦门集美第二机械有限公司")
    e2.contact_phone = "13700009999"
    save_enterprise(e2, by=world.people.officer_jimei)
    for role, want in (("admin", F), ("auditor", M)):
        client = login(getattr(world.people, role))
        assert in_html(client.get("/audit/").content.decode(), "13700009999") == want, role
        items = client.get("/api/audit-log").json()["items"]
        (change,) = [
            i["changes"]["contact_phone"]
            for i in items
            if i["event_type"] == "updated" and i["target_id"] == str(e2.pk) and "contact_phone" in i["changes"]
        ]
        assert change == (["13700001002", "13700009999"] if want == F else ["137****1002", "137****9999"]), role
        header, rows = xlsx_rows(client.get("/exports/auditlog.xlsx"))
        at = header.index("变更内容")
        changes = " ".join(str(row[at]) for row in rows if len(row) > at)
        assert in_html(changes, "13700009999") == want, role
    # The enterprise's page shows its change history: masked like its contacts.
    for role, want in (("officer_jimei", F), ("specialist", M), ("auditor", M)):
        html = login(getattr(world.people, role)).get(f"/enterprises/{e2.pk}/").content.decode()
        assert in_html(html, "13700009999") == want, role
