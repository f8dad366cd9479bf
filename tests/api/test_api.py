import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qiservice.accounts.models import ApiToken
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.enterprises.models import Enterprise


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def code(body="91350211MA0000009"):
    from qiservice.core.validators import credit_code_check_character

    return body + credit_code_check_character(body)


def payload(world, **overrides):
    data = {
        "name": "厦门接口登记有限公司",
        "credit_code": code(),
        "district": world.jimei.pk,
        "address": "厦门市集美区1号",
        "industry": "C",
        "contact_name": "王五",
        "contact_phone": "13700001111",
    }
    data.update(overrides)
    return data


def test_a_token_authenticates_with_the_same_scope_as_the_ui(world):
    _token, key = ApiToken.issue(world.people.officer_jimei, "对接")
    client = Client()
    response = client.get("/api/enterprises", **bearer(key))
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["items"]] == [world.ent_jimei.pk]
    me = client.get("/api/me", **bearer(key)).json()
    assert me["roles"] == ["agency_staff"]
    assert me["district_ids"] == [world.jimei.pk]


def test_a_token_records_its_last_use_to_the_minute_without_a_write_per_call(world):
    token, key = ApiToken.issue(world.people.officer_jimei, "对接")
    client = Client()
    assert client.get("/api/me", **bearer(key)).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me", **bearer(key)).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    # A minute later the next call moves it on.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(seconds=61))
    assert client.get("/api/me", **bearer(key)).status_code == 200
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_a_revoked_or_wrong_token_is_refused(world, login):
    token, key = ApiToken.issue(world.people.officer_jimei, "对接")
    client = Client()
    assert client.get("/api/me", **bearer(key + "x")).status_code == 401
    web = login(world.people.officer_jimei)
    assert web.post(f"/tokens/{token.pk}/revoke/").status_code == 302
    response = client.get("/api/me", **bearer(key))
    assert response.status_code == 401
    assert "接口令牌" in response.json()["detail"]
    assert AuditLog.objects.filter(event_type=AuditEvent.TOKEN_REVOKED, target_id=str(token.pk)).exists()


def test_tokens_are_created_in_the_ui_and_shown_once(world, login):
    client = login(world.people.specialist)
    response = client.post("/tokens/", {"name": "手机助手"})
    key = response.context["new_key"]
    assert key.startswith("qit_")
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=world.people.specialist)
    assert token.key_hash != key and key not in token.key_hash, "only the hash is stored"
    again = client.get("/tokens/")
    assert key not in again.content.decode()
    assert "手机助手" in again.content.decode()


def test_a_token_name_is_required(world, login):
    client = login(world.people.specialist)
    response = client.post("/tokens/", {"name": "  "}, follow=True)
    assert "请填写令牌名称" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_create_enterprise_through_the_api(world):
    _t, key = ApiToken.issue(world.people.officer_jimei, "t")
    response = Client().post(
        "/api/enterprises", json.dumps(payload(world)), content_type="application/json", **bearer(key)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credit_code"] == code()
    assert body["district_name"] == "集美区"
    assert Enterprise.objects.get(pk=body["id"]).created_by == world.people.officer_jimei


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("credit_code", "91350211MA00000090", "校验位"),
        ("contact_phone", "123", "联系电话"),
        ("district", 999999, "选择一个有效的选项"),
    ],
)
def test_api_bad_input_is_422_with_field_and_chinese_reason_and_saves_nothing(world, field, value, reason):
    _t, key = ApiToken.issue(world.people.officer_jimei, "t")
    before = (Enterprise.objects.count(), AuditLog.objects.count())
    response = Client().post(
        "/api/enterprises", json.dumps(payload(world, **{field: value})), content_type="application/json", **bearer(key)
    )
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert errors[0]["loc"] == ["body", field]
    assert reason in errors[0]["msg"]
    assert (Enterprise.objects.count(), AuditLog.objects.count()) == before


def test_wrong_types_and_malformed_json_get_a_chinese_422(world):
    _t, key = ApiToken.issue(world.people.officer_jimei, "t")
    client = Client()
    wrong = client.post(
        "/api/enterprises", json.dumps({"district": "abc"}), content_type="application/json", **bearer(key)
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["msg"] == "应为整数。"
    broken = client.post("/api/enterprises", "{not json", content_type="application/json", **bearer(key))
    assert broken.status_code == 400
    assert "不是有效的 JSON" in broken.json()["detail"]


def test_patch_changes_only_the_given_fields(world):
    _t, key = ApiToken.issue(world.people.enterprise_user, "t")
    response = Client().patch(
        f"/api/enterprises/{world.ent_jimei.pk}",
        json.dumps({"main_products": "智能水表"}),
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 200, response.content
    world.ent_jimei.refresh_from_db()
    assert world.ent_jimei.main_products == "智能水表"
    assert world.ent_jimei.name == "厦门集美精密机械有限公司"


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people.officer_jimei)
    response = client.post("/api/enterprises", json.dumps(payload(world)), content_type="application/json")
    assert response.status_code == 403
    assert not Enterprise.objects.filter(name="厦门接口登记有限公司").exists()


def test_list_filters_and_pagination(world):
    _t, key = ApiToken.issue(world.people.admin, "t")
    client = Client()
    data = client.get("/api/enterprises", {"district": world.huli.pk}, **bearer(key)).json()
    assert [e["id"] for e in data["items"]] == [world.ent_huli.pk]
    page = client.get("/api/enterprises", {"page_size": 2, "page": 2}, **bearer(key)).json()
    assert (page["count"], page["count_exact"], page["has_more"]) == (3, True, False)
    assert len(page["items"]) == 1
    first = client.get("/api/enterprises", {"page_size": 2}, **bearer(key)).json()
    assert (len(first["items"]), first["has_more"]) == (2, True)
    specialists = client.get("/api/specialists", {"qi_field": "inspection_testing"}, **bearer(key)).json()
    assert [s["id"] for s in specialists["items"]] == [world.sp_siming.pk]
    institutions = client.get("/api/institutions", {"qi_field": "metrology"}, **bearer(key)).json()
    assert [i["id"] for i in institutions["items"]] == [world.metrology.pk]


def test_openapi_docs_work_offline(world, login):
    client = login(world.people.admin)
    docs = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    schema = client.get("/api/openapi.json").json()
    assert "/api/enterprises" in schema["paths"]


def test_specialist_cannot_raise_their_own_capacity_through_the_api(world):
    _t, key = ApiToken.issue(world.people.specialist, "t")
    response = Client().patch(
        f"/api/specialists/{world.sp_jimei.pk}",
        json.dumps({"capacity": 99, "expertise": "计量校准"}),
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "capacity"]
    world.sp_jimei.refresh_from_db()
    assert world.sp_jimei.capacity == 5
    assert world.sp_jimei.expertise == ""


def test_a_long_list_is_not_counted_exactly(world, monkeypatch):
    """Past the count cap (500; 2 here) a page says the count is not exact instead of
    counting every row (a COUNT(*) over a province's million demands on every page), and
    still says whether a next page exists."""
    from qiservice.core.pagination import ListPaginator

    monkeypatch.setattr(ListPaginator, "cap", 2)
    _t, key = ApiToken.issue(world.people.admin, "t")
    client = Client()
    page = client.get("/api/enterprises", {"page_size": 1}, **bearer(key)).json()
    assert (page["count_exact"], page["has_more"], len(page["items"])) == (False, True, 1)
    assert page["count"] >= 2  # the estimate (PostgreSQL) or the cap
    last = client.get("/api/enterprises", {"page_size": 1, "page": 3}, **bearer(key)).json()
    assert (last["has_more"], len(last["items"])) == (False, 1)
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    paged = next(v for k, v in schema.items() if k.startswith("Paged") and "Enterprise" in k)
    assert {"items", "count", "count_exact", "has_more"} <= set(paged["properties"])
