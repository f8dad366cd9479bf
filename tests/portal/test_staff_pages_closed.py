"""The staff side of a demand is closed to its enterprise's users: every staff demand URL
(pages, forms, downloads, exports, documents and the API) either sends them to the portal
or refuses, and none of the internal records — the ledger, the preparation with its risk
notes, internal notes and progress, a declined dispatch, another party's trade secret —
reaches them in any response body, the pages they are sent on to included."""

import io
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from qiservice.api.api import api
from qiservice.demands.models import ServicePlan
from qiservice.demands.transitions import TRANSITIONS
from qiservice.documents.content import FORMATS, FORMS
from qiservice.exports.registry import REGISTRY

from .helpers import DECLINE_REASON, INSTRUCTION, LEDGER_PROBLEM, PROGRESS, SECRET_FILE, submit, to_plan

RISK_NOTE = "涉及工艺参数，资料不外传"  # tests/demands/conftest.py preparation_data()
PLAN_NOTES = "先摸底计量器具，再编写体系文件。"
LEDGER_HANDLING = "现场核查设备清单，按JJF 1064给出校准方案"
INTERNAL = [INSTRUCTION, PROGRESS, LEDGER_PROBLEM, LEDGER_HANDLING, DECLINE_REASON, SECRET_FILE, RISK_NOTE, PLAN_NOTES]

# The parts of the site that show a demand's records.
UI_PREFIXES = ("demands/", "documents/", "exports/", "enterprises/", "portal/")
API_PREFIXES = ("/api/demands", "/api/documents", "/api/exports", "/api/enterprises", "/api/portal")


@pytest.fixture
def demand(world):
    """An assisted demand of 厦门集美精密机械有限公司 up to its plan, with every kind of internal
    record (tests/portal/helpers.py `to_plan`)."""
    return to_plan(world, submit(world))


def values(world, demand):
    """What each URL placeholder is filled with: every attachment, action, form and format."""
    entry = demand.ledger_entries.first()
    milestone = ServicePlan.objects.get(demand=demand).milestones.first()
    attachments = list(demand.attachments.values_list("pk", flat=True))
    return {
        "pk": [demand.pk],
        "demand_id": [demand.pk],
        "enterprise_id": [world.ent_jimei.pk],
        "entry_pk": [entry.pk],
        "entry_id": [entry.pk],
        "milestone_pk": [milestone.pk],
        "milestone_id": [milestone.pk],
        "attachment_pk": attachments,
        "attachment_id": attachments,
        "action": list(TRANSITIONS),
        "form": list(FORMS),
        "fmt": list(FORMATS),
        "name": list(REGISTRY),
    }


def _expand(path, placeholders, filling, enterprise_pk):
    """Every URL of one pattern, or [] when it has a placeholder this demand does not fill."""
    urls = [path]
    for name in placeholders:
        if name not in filling:
            return []
        choices = filling[name]
        if name == "pk" and path.startswith("/enterprises/"):
            choices = [enterprise_pk]
        urls = [u.replace("{" + name + "}", str(v), 1) for u in urls for v in choices]
    return urls


def ui_urls(filling, enterprise_pk):
    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace not in ("admin", "api"):
                    yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    for route in walk(get_resolver(), ""):
        if not route.startswith(UI_PREFIXES):
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        yield from _expand(path, re.findall(r"\{(\w+)\}", path), filling, enterprise_pk)


def api_urls(filling, enterprise_pk):
    for path, methods in api.get_openapi_schema()["paths"].items():
        if "get" in methods and path.startswith(API_PREFIXES):
            yield from _expand(path, re.findall(r"\{(\w+)\}", path), filling, enterprise_pk)


def readable(response):
    """The text of a response, whatever its format (HTML, JSON, xlsx, docx, pdf)."""
    content_type = response.get("Content-Type", "")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v)
    if "wordprocessingml" in content_type:
        from docx import Document

        doc = Document(io.BytesIO(data))
        texts = [p.text for p in doc.paragraphs]
        texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return " ".join(texts)
    if "pdf" in content_type:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except PdfReadError:  # an uploaded file that is barely a PDF: its bytes
            pass
    return data.decode("utf-8", errors="replace")


def visit(client, urls):
    """{url: (status of the first answer, the text of the last after redirects)}."""
    seen = {}
    for url in urls:
        first = client.get(url)
        final = client.get(url, follow=True) if first.status_code in (301, 302) else first
        seen[url] = (first.status_code, first.get("Location", ""), readable(final))
    return seen


def walk(client, world, demand):
    filling = values(world, demand)
    urls = sorted(set(ui_urls(filling, world.ent_jimei.pk)) | set(api_urls(filling, world.ent_jimei.pk)))
    # The one-demand exports name their demand in the query string.
    urls += [f"/exports/{name}.xlsx?demand={demand.pk}" for name in REGISTRY]
    return visit(client, urls)


def test_no_internal_record_reaches_the_enterprise_user_on_any_staff_demand_url(world, login, demand):
    seen = walk(login(world.people.enterprise_user), world, demand)
    assert len(seen) > 80, "the walk reaches the demand's pages, forms, files, exports and API"
    leaks = {url: [t for t in INTERNAL if t in text] for url, (_status, _to, text) in seen.items()}
    assert {url: found for url, found in leaks.items() if found} == {}

    pk = demand.pk
    # The staff pages send them to the portal's page of the same demand; the staff API is 404.
    assert seen[f"/demands/{pk}/"][:2] == (302, f"/portal/demands/{pk}/")
    assert seen["/demands/"][:2] == (302, "/portal/")
    assert seen["/demands/my-work/"][:2] == (302, "/portal/")
    for action in TRANSITIONS:
        assert seen[f"/demands/{pk}/act/{action}/"][:2] == (302, f"/portal/demands/{pk}/"), action
    for url in (f"/demands/{pk}/preparation/", f"/demands/{pk}/ledger/add/", f"/demands/{pk}/notes/add/"):
        assert seen[url][:2] == (302, f"/portal/demands/{pk}/"), url
    for url, (status, _to, _text) in seen.items():
        if url.startswith(f"/api/demands/{pk}"):
            assert status == 404, url
    # The ledger is not theirs to download, in any form.
    assert seen[f"/documents/demand/{pk}/ledger.docx"][0] == 403
    assert seen[f"/exports/ledger_demand.xlsx?demand={pk}"][0] == 403
    # What they may see, they see in the portal.
    portal_page = seen[f"/portal/demands/{pk}/"][2]
    assert demand.number in portal_page and "服务方案" in portal_page


def test_the_walk_finds_the_internal_records_for_those_serving_the_demand(world, login, demand):
    """The same walk as the institution that serves the demand: every internal text is found,
    so the test above would see a leak if there were one."""
    seen = walk(login(world.people.institution_staff), world, demand)
    found = {t for _status, _to, text in seen.values() for t in INTERNAL if t in text}
    assert found == set(INTERNAL)
    # Found in the file formats too, so the readers above read them.
    pk = demand.pk
    assert LEDGER_PROBLEM in seen[f"/documents/demand/{pk}/ledger.docx"][2]
    assert LEDGER_PROBLEM in seen[f"/documents/demand/{pk}/ledger.pdf"][2].replace("\n", "")
    assert LEDGER_PROBLEM in seen[f"/exports/ledger_demand.xlsx?demand={pk}"][2]
    assert LEDGER_PROBLEM in seen["/exports/ledger.xlsx"][2]


def test_the_enterprise_withdraws_in_the_portal_and_nothing_else_changes_on_the_staff_side(world, login):
    demand = submit(world)
    client = login(world.people.enterprise_user)
    # The staff withdraw form is not theirs: sent to the portal, the demand unchanged.
    response = client.post(f"/demands/{demand.pk}/act/withdraw/", {"reason": "不再需要", "version": demand.version})
    assert response.status_code == 302 and response["Location"] == f"/portal/demands/{demand.pk}/"
    demand.refresh_from_db()
    assert demand.status == "registered"
    page = client.get(f"/portal/demands/{demand.pk}/").content.decode()
    assert 'data-testid="portal-withdraw"' in page
    # Without a reason: refused with the message, nothing changed.
    client.post(f"/portal/demands/{demand.pk}/withdraw/", {"reason": " ", "version": demand.version})
    demand.refresh_from_db()
    assert demand.status == "registered"
    response = client.post(
        f"/portal/demands/{demand.pk}/withdraw/", {"reason": "已自行解决", "version": demand.version}, follow=True
    )
    demand.refresh_from_db()
    assert demand.status == "withdrawn"
    assert "需求已撤回" in response.content.decode()
    assert demand.status_changes.get(action="withdraw").reason == "已自行解决"
    assert 'data-testid="portal-withdraw"' not in client.get(f"/portal/demands/{demand.pk}/").content.decode()


def test_the_portal_api_withdraws_with_a_reason_and_the_version(world, login):
    demand = submit(world)
    client = login(world.people.enterprise_user)
    url = f"/api/portal/demands/{demand.pk}/withdraw"
    stale = client.post(url, {"reason": "不再需要", "version": demand.version + 5}, content_type="application/json")
    assert stale.status_code == 409
    empty = client.post(url, {"reason": ""}, content_type="application/json")
    assert empty.status_code == 422 and "理由" in empty.json()["detail"][0]["msg"]
    demand.refresh_from_db()
    assert demand.status == "registered"
    done = client.post(url, {"reason": "不再需要", "version": demand.version}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    # Those serving it cannot use the portal's withdraw (it is not their portal): 404.
    other = submit(world)
    assert (
        login(world.people.specialist)
        .post(f"/api/portal/demands/{other.pk}/withdraw", {"reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )


def test_the_staff_list_api_gives_the_enterprise_user_no_internal_field(world, login, demand):
    items = login(world.people.enterprise_user).get("/api/demands").json()["items"]
    assert [item["number"] for item in items] == [demand.number]
    assert set(items[0]) == {
        "id",
        "number",
        "enterprise",
        "categories",
        "source",
        "status",
        "status_label",
        "service_mode",
        "specialist",
        "district",
        "registered_on",
    }


def test_an_institution_still_deciding_on_a_dispatch_does_not_read_the_ledger(world, login):
    from qiservice.demands import workflow
    from tests.demands.conftest import ledger_data, preparation_data

    people = world.people
    demand = submit(world)
    sp = people.specialist
    workflow.assign(demand, world.sp_jimei, by=people.admin)
    workflow.respond_to_assignment(demand, by=sp, accept=True)
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.add_ledger_entry(demand, by=sp, **dict(ledger_data(), problem=LEDGER_PROBLEM))
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要检定资质")
    workflow.escalate(demand, by=sp, reason="需要检定资质", needs="校准")
    workflow.dispatch(demand, by=people.admin, institutions=[world.metrology])
    institution = login(people.institution_staff)
    page = institution.get(f"/demands/{demand.pk}/").content.decode()
    assert demand.number in page and 'data-action="accept_dispatch"' in page, "they see what they are asked"
    assert LEDGER_PROBLEM not in page and RISK_NOTE not in page
    assert institution.get(f"/exports/ledger_demand.xlsx?demand={demand.pk}").status_code == 403
    workflow.accept_dispatch(demand, by=people.institution_staff)
    assert LEDGER_PROBLEM in institution.get(f"/demands/{demand.pk}/").content.decode()
