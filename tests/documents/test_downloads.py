"""Downloading the forms: who may (data scope 404, the ledger 403 for the enterprise,
anonymous to the login page), the 404 page for a form that does not exist yet, the file
name, the audit row, the API's same bytes, and the demand page's menu."""

from urllib.parse import quote

from qiservice.accounts.models import ApiToken
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands import workflow
from qiservice.documents import content

from .helpers import cell_texts, docx_of, flat, pdf_text

FORMS = content.FORMS


def url(demand, form, fmt):
    return f"/documents/demand/{demand.pk}/{form}.{fmt}"


def api_url(demand, form, fmt):
    return f"/api/documents/demands/{demand.pk}/{form}.{fmt}"


def downloads():
    return AuditLog.objects.filter(event_type=AuditEvent.DOWNLOADED)


def test_officer_downloads_every_form_as_word_and_pdf(world, login, done):
    client = login(world.people.officer_jimei)
    for form in FORMS:
        response = client.get(url(done, form, "docx"))
        assert response.status_code == 200, form
        assert response["Content-Type"] == content.MIME_TYPES["docx"]
        name = f"{content.form_names()[form]}-{done.number}.docx"
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"{form}-{done.number}.docx\"; filename*=UTF-8''{quote(name)}"
        )
        assert response["Cache-Control"] == "private, no-store"
        assert docx_of(response.content).paragraphs  # a real Word file
        pdf = client.get(url(done, form, "pdf"))
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        assert f"编号：{done.number}" in flat(pdf_text(pdf.content))


def test_every_download_is_audited(world, login, done):
    before = downloads().count()
    login(world.people.specialist).get(url(done, "summary", "pdf"))
    assert downloads().count() == before + 1
    row = downloads().first()
    assert row.actor == world.people.specialist
    assert row.target_id == str(done.pk) and row.target_repr == done.number
    assert row.extra == {"document": "summary", "format": "pdf", "via": "web"}
    login(world.people.admin).get(api_url(done, "ledger", "docx"))
    assert downloads().first().extra == {"document": "ledger", "format": "docx", "via": "api"}
    login(world.people.outsider).get("/documents/blank/evaluation.pdf")
    row = downloads().first()
    assert row.actor == world.people.outsider and row.extra["document"] == "blank evaluation"


def test_other_districts_officer_gets_404_and_nothing_is_audited(world, login, done):
    before = downloads().count()
    for form in FORMS:
        response = login(world.people.officer_siming).get(url(done, form, "pdf"))
        assert response.status_code == 404
        assert b"%PDF" not in response.content
        assert "未找到" in login(world.people.officer_siming).get(api_url(done, form, "pdf")).json()["detail"]
    assert login(world.people.specialist_siming).get(url(done, "registration", "docx")).status_code == 404
    assert downloads().count() == before


def test_enterprise_user_gets_its_forms_but_not_the_ledger(world, login, done):
    client = login(world.people.enterprise_user)
    for form in ("registration", "evaluation", "summary", "case"):
        assert client.get(url(done, form, "docx")).status_code == 200, form
    before = downloads().count()
    response = client.get(url(done, "ledger", "pdf"))
    assert response.status_code == 403
    assert b"%PDF" not in response.content
    api = client.get(api_url(done, "ledger", "pdf"))
    assert api.status_code == 403
    assert "内部工作记录" in api.json()["detail"]
    assert downloads().count() == before


def test_anonymous_is_sent_to_login_and_the_api_asks_for_a_token(client, world, done):
    response = client.get(url(done, "registration", "pdf"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/documents/blank/evaluation.docx")["Location"].startswith("/login/")
    assert client.get(api_url(done, "registration", "pdf")).status_code == 401


def test_a_form_without_content_is_a_404_page_saying_so(world, login):
    demand = workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="web",
        contact_name="李工",
        contact_phone="13900002222",
        description="新登记",
    )
    client = login(world.people.officer_jimei)
    before = downloads().count()
    messages = {
        "ledger": "还没有工作台账记录",
        "evaluation": "尚未收到满意度评价",
        "summary": "尚未提交工作总结",
        "case": "没有可查看的典型案例",
    }
    for form, message in messages.items():
        for fmt in ("docx", "pdf"):
            response = client.get(url(demand, form, fmt))
            assert response.status_code == 404
            assert response["Content-Type"].startswith("text/html")
            assert message in response.content.decode()
            assert demand.number in response.content.decode()  # the way back to the demand
        api = client.get(api_url(demand, form, "pdf"))
        assert api.status_code == 404 and message in api.json()["detail"]
    assert downloads().count() == before
    # The registration form exists from the start.
    response = client.get(url(demand, "registration", "docx"))
    assert cell_texts(docx_of(response.content).tables[0])[5][1] == "新登记"


def test_unknown_form_or_format_is_404(world, login, done):
    client = login(world.people.admin)
    assert client.get(url(done, "agreement", "pdf")).status_code == 404
    assert client.get(url(done, "registration", "xlsx")).status_code == 404
    assert client.get("/documents/blank/ledger.pdf").status_code == 404
    assert client.get(f"/api/documents/demands/{done.pk}/registration.odt").status_code == 404


def test_api_returns_the_same_bytes_as_the_page(world, login, done):
    client = login(world.people.specialist)
    for form in FORMS:
        for fmt in ("docx", "pdf"):
            web = client.get(url(done, form, fmt))
            api = client.get(api_url(done, form, fmt))
            assert api.status_code == 200
            assert api.content == web.content, (form, fmt)
            assert api["Content-Disposition"] == web["Content-Disposition"]
    for form in content.BLANK_FORMS:
        assert (
            client.get(f"/api/documents/blank/{form}.pdf").content == client.get(f"/documents/blank/{form}.pdf").content
        )


def test_api_accepts_a_token(world, client, done):
    _token, key = ApiToken.issue(world.people.officer_jimei, "打印")
    response = client.get(api_url(done, "evaluation", "pdf"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert "满意度评价表" in flat(pdf_text(response.content))


def test_blank_forms(world, login):
    client = login(world.people.enterprise_user)
    response = client.get("/documents/blank/registration.docx")
    assert response.status_code == 200
    rows = cell_texts(docx_of(response.content).tables[0])
    assert rows[0] == ["服务对象", ""] and content.TICKED not in "".join(map(str, rows))
    assert quote("需求登记表（空白）.docx") in response["Content-Disposition"]
    pdf = client.get("/documents/blank/evaluation.pdf")
    text = flat(pdf_text(pdf.content))
    assert "厦门市质量基础设施服务专员满意度评价表" in text and "编号：" in text and "评价人（签字）" in text


def test_demand_page_menu_lists_what_exists_and_is_allowed(world, login, done):
    page = login(world.people.officer_jimei).get(f"/demands/{done.pk}/").content.decode()
    assert "打印/下载" in page
    for form in FORMS:
        assert url(done, form, "docx") in page and url(done, form, "pdf") in page
    # The enterprise's user has the menu on the portal's page of the demand.
    ent_page = login(world.people.enterprise_user).get(f"/portal/demands/{done.pk}/").content.decode()
    assert "打印/下载" in ent_page
    assert url(done, "registration", "pdf") in ent_page
    assert url(done, "ledger", "pdf") not in ent_page
    assert url(done, "evaluation", "pdf") in ent_page


def test_menu_of_a_new_demand_offers_only_the_registration_form(world, login):
    demand = workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["other"],
        source="other",
        contact_name="李工",
        contact_phone="13900002222",
        description="新登记",
    )
    page = login(world.people.specialist).get(f"/demands/{demand.pk}/").content.decode()
    assert url(demand, "registration", "docx") in page
    for form in ("ledger", "evaluation", "summary", "case"):
        assert url(demand, form, "pdf") not in page
    assert "/documents/blank/evaluation.pdf" in page


def test_enterprise_does_not_get_a_case_in_review(world, login):
    from .helpers import full_demand

    demand = full_demand(world, case=False)
    workflow.nominate_case(
        demand, by=world.people.specialist, title="测量管理体系", highlights="成效显著", masked_enterprise="某企业"
    )
    assert login(world.people.enterprise_user).get(url(demand, "case", "pdf")).status_code == 404
    response = login(world.people.officer_jimei).get(url(demand, "case", "docx"))
    rows = {r[0]: r[1:] for r in cell_texts(docx_of(response.content).tables[0])}
    assert rows["服务专员"][2] == "待审核"
