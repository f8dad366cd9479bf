"""Enterprise details and trade-secret files are audited on every view and every download,
whichever door they leave by: the page, the API, the portal (R6.2)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qiservice.accounts.models import ApiToken
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow
from tests.demands._ui import PDF
from tests.portal.helpers import submit, to_plan


def logged(event, actor, **match):
    rows = AuditLog.objects.filter(event_type=event, actor=actor)
    return [row for row in rows if all(row.extra.get(k) == v for k, v in match.items())]


def token_client(user):
    _token, key = ApiToken.issue(user, "审计测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.mark.parametrize("role", ["admin", "officer_jimei", "specialist", "enterprise_user", "auditor"])
def test_every_view_of_an_enterprise_is_audited_on_the_page_the_form_and_the_api(world, login, role):
    user = getattr(world.people, role)
    ent = world.ent_jimei
    client, api = login(user), token_client(user)
    for _ in range(2):  # every view, not the first one only
        assert client.get(f"/enterprises/{ent.pk}/").status_code == 200
        assert api.get(f"/api/enterprises/{ent.pk}").status_code == 200
    views = AuditLog.objects.filter(event_type=AuditEvent.VIEWED, actor=user, target_id=str(ent.pk))
    assert views.filter(extra__via="api").count() == 2
    assert views.exclude(extra__has_key="via").count() == 2, "the page"
    if role != "auditor":  # the auditor may not open the edit form (403)
        assert client.get(f"/enterprises/{ent.pk}/edit/").status_code == 200
        assert views.filter(extra__via="edit").count() == 1
    # A page of the API's list carries the profiles it shows: one record naming them.
    assert api.get("/api/enterprises").status_code == 200
    pages = [row for row in logged(AuditEvent.VIEWED, user, via="api") if "enterprises" in row.extra]
    assert len(pages) == 1 and ent.pk in pages[0].extra["enterprises"]


def test_a_refused_view_is_not_recorded_as_a_view(world, login):
    ent = world.ent_siming
    client = login(world.people.officer_jimei)
    assert client.get(f"/enterprises/{ent.pk}/").status_code == 404
    assert token_client(world.people.officer_jimei).get(f"/api/enterprises/{ent.pk}").status_code == 404
    assert not AuditLog.objects.filter(event_type=AuditEvent.VIEWED, target_id=str(ent.pk)).exists()


@pytest.fixture
def secret(world):
    """A demand of the 集美 enterprise with a trade-secret file the enterprise sent itself
    (so it may download it too) and one of the institution's."""
    demand = to_plan(world, submit(world), with_secrets=True)
    own = workflow.add_attachment(
        demand,
        SimpleUploadedFile("工艺参数.pdf", PDF),
        by=world.people.admin,
        stage="service",
        is_trade_secret=True,
    )
    return demand, own


def test_every_download_of_a_trade_secret_is_audited_through_the_page_the_api_and_the_portal(world, login, secret):
    demand, attachment = secret
    people = world.people
    doors = [
        (people.specialist, login(people.specialist), f"/demands/{demand.pk}/attachments/{attachment.pk}/", "web"),
        (people.admin, token_client(people.admin), f"/api/demands/{demand.pk}/attachments/{attachment.pk}", "api"),
        (
            people.institution_staff,
            token_client(people.institution_staff),
            f"/api/demands/{demand.pk}/attachments/{attachment.pk}",
            "api",
        ),
    ]
    for user, client, url, via in doors:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            assert b"".join(response.streaming_content) == PDF
            assert response["Cache-Control"] == "private, no-store"
        rows = logged(AuditEvent.DOWNLOADED, user, via=via, trade_secret=True, demand=demand.number)
        assert [r.target_id for r in rows] == [str(attachment.pk)] * 2, (user, via)
    # Refused downloads leave no download record (the officer may not have the secret).
    officer = login(people.officer_jimei)
    assert officer.get(f"/demands/{demand.pk}/attachments/{attachment.pk}/").status_code == 404
    assert not logged(AuditEvent.DOWNLOADED, people.officer_jimei)


def test_the_enterprises_own_trade_secret_is_audited_when_it_downloads_it_in_the_portal(world, login):
    from tests.portal.helpers import pdf

    demand = submit(world, uploads=[pdf("本企业工艺.pdf")], uploads_are_secret=True)
    (attachment,) = demand.attachments.all()
    assert attachment.is_trade_secret
    client = login(world.people.enterprise_user)
    for _ in range(2):
        response = client.get(f"/portal/demands/{demand.pk}/attachments/{attachment.pk}/")
        assert response.status_code == 200
    rows = logged(AuditEvent.DOWNLOADED, world.people.enterprise_user, via="portal", trade_secret=True)
    assert [r.target_id for r in rows] == [str(attachment.pk)] * 2


def test_every_document_download_is_audited_through_the_page_and_the_api(world, login, secret):
    demand, _attachment = secret
    user = world.people.officer_jimei
    login(user).get(f"/documents/demand/{demand.pk}/registration.docx")
    login(user).get(f"/documents/demand/{demand.pk}/registration.docx")
    token_client(user).get(f"/api/documents/demands/{demand.pk}/ledger.pdf")
    rows = AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED, actor=user, target_id=str(demand.pk))
    assert sorted((r.extra["document"], r.extra["via"]) for r in rows) == [
        ("ledger", "api"),
        ("registration", "web"),
        ("registration", "web"),
    ]
