"""The direct path and the assisted path end to end in headless Chromium (issue 10, item 9):
each step taken by the real role, by clicking through the pages (never by calling the
rules), from the Appendix A registration to the closing, with the enterprise's evaluation
through the Appendix C link on a phone (375×812). Each step checks what the page shows and
is photographed (tests/browser/conftest.py: $QI_SCREENSHOT_DIR or var/screenshots/<test>/);
no page of the whole run requests anything from another origin."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from qiservice.core import audit_chain
from qiservice.core.models import AuditLog
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.models import Demand, LedgerEntry, StatusChange

from .conftest import CHROMIUM, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def shows_status(page, status):
    """The status badge of the demand page reads the status's label."""
    expect()(page.locator("[data-testid=status]")).to_have_text(str(S(status).label))


def flashed(page, text):
    expect()(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def act(page, action):
    """Click the button of an action in the demand page's "当前可办理" card."""
    page.locator(f"[data-testid=actions] [data-action={action}]").click()


def submit(page):
    """Send the action form (not its "再加三行" button)."""
    page.locator("form.card button[type=submit]:not([name=more_rows])").click()


def day(offset=0):
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


def statuses(demand):
    return list(StatusChange.objects.filter(demand=demand).order_by("pk").values_list("to_status", flat=True))


# --- the steps, each as the person who takes it ---------------------------------------------------


def register(page, world, base_url, shots, source="现场"):
    """Appendix A, from the demand list's button; lands on the new demand's page."""
    page.goto(base_url + "/demands/")
    page.get_by_role("link", name="＋ 登记需求").click()
    expect()(page.get_by_role("heading", name="需求登记表")).to_be_visible()
    page.select_option("#id_enterprise", value=str(world.ent_jimei.pk))
    page.click("label:has-text('计量服务')")
    page.click(f"[data-testid=choices-source] label:has-text('{source}')")
    page.fill("#id_description", "新购三坐标测量机需要校准，并建立测量管理体系。")
    page.fill("#id_contact_name", "张经理")
    page.fill("#id_contact_phone", "13800001111")
    shots(page, "registration form")
    page.click("form button[type=submit]:has-text('登记')")
    page.wait_for_url(lambda url: "/demands/register" not in url)
    demand = Demand.objects.get()
    expect()(page.locator("h1")).to_have_text(demand.number)
    shows_status(page, S.REGISTERED)
    shots(page, "registered")
    return demand


def prepare(page, shots):
    """8.2: start, the preparation record, the enterprise's profile verified."""
    act(page, "start_preparation")
    shows_status(page, S.PREPARING)
    shots(page, "preparation started")
    act(page, "preparation")
    page.fill("#id_plan_notes", "先摸底计量器具，再编写体系文件。")
    page.fill("#id_content_metrology", "计量器具校准")
    page.check("#id_risk_trade_secret")
    page.fill("#id_risk_trade_secret_notes", "涉及工艺参数，资料不外传")
    shots(page, "preparation form")
    submit(page)
    shows_status(page, S.PREPARING)
    expect()(page.locator("#preparation")).to_contain_text("先摸底计量器具")
    act(page, "verify_enterprise")
    page.select_option("#id_size", "medium")
    page.fill("#id_main_products", "精密零部件")
    shots(page, "verify the enterprise")
    submit(page)
    expect()(page.locator("[data-testid=verified]")).to_be_visible()
    shots(page, "prepared")


def confirm(page, mode, shots):
    """8.3: the specialist decides with the enterprise how it is served."""
    act(page, "confirm")
    page.click("label:has-text('直接提供服务')" if mode == "direct" else "label:has-text('寻求服务协助')")
    page.fill("#id_reason", "与企业确认：需求明确" if mode == "direct" else "与企业确认：需要检定资质")
    shots(page, f"confirm {mode}")
    submit(page)
    shows_status(page, S.CONFIRMED)
    flashed(page, "已完成“确认需求”。")
    shots(page, f"confirmed {mode}")


def agree_and_plan(page, shots):
    """8.4.1 a–b / 8.4.2 d: the agreement, then the plan with one milestone."""
    act(page, "sign_agreement")
    page.fill("#id_period_start", day())
    page.fill("#id_period_end", day(60))
    page.click("[data-field=method] label:has-text('现场')")
    page.fill("#id_signed_on", day())
    page.fill("#id_content", "建立测量管理体系，完成关键计量器具校准。")
    submit(page)
    shows_status(page, S.AGREEMENT_SIGNED)
    shots(page, "agreement signed")
    act(page, "make_plan")
    page.fill("#id_objectives", "三个月内通过测量管理体系内审。")
    page.fill("#id_milestones-0-title", "计量器具摸底")
    page.fill("#id_milestones-0-due_on", day(10))
    shots(page, "plan form")
    submit(page)
    shows_status(page, S.PLAN_MADE)
    expect()(page.locator("[data-testid=milestone]")).to_contain_text("计量器具摸底")
    shots(page, "plan made")


def serve(page, shots, problem):
    """Start, one ledger row (Appendix B), end: the evaluation link is issued."""
    act(page, "start_service")
    shows_status(page, S.IN_SERVICE)
    shots(page, "service started")
    act(page, "ledger_add")
    page.fill("#id_entry_on", day())
    page.fill("#id_enterprise_contact", "张经理")
    page.fill("#id_problem", problem)
    page.fill("#id_handling", "现场核查设备清单，按JJF 1064给出校准方案")
    submit(page)
    row = page.locator("[data-testid=ledger-row]")
    expect()(row).to_have_count(1)
    expect()(row).to_contain_text(problem)
    shots(page, "ledger entry")
    act(page, "end_service")
    submit(page)
    shows_status(page, S.SERVICE_ENDED)
    flashed(page, "服务已结束，已生成满意度评价邀请（附录C）。")
    shots(page, "service ended")


def summarise(page, shots):
    """8.5.1: the specialist's summary; the evaluation link is on the page to hand over."""
    act(page, "submit_summary")
    page.fill("#id_problems_solved", "校准周期未建立")
    page.fill("#id_methods", "现场核查，给出校准方案")
    page.fill("#id_results", "通过测量管理体系内审")
    submit(page)
    shows_status(page, S.SUMMARY_SUBMITTED)
    link = page.locator("[data-testid=evaluation-link]")
    expect()(link).to_be_visible()
    shots(page, "summary submitted with the evaluation link")
    return link.input_value()


def evaluate_on_a_phone(people, link, shots):
    """Appendix C through the link, without a login, on a 375×812 screen."""
    page = people.anonymous(phone=True)
    page.goto(link)
    expect()(page.get_by_role("heading", name="服务专员满意度评价表")).to_be_visible()
    fits_the_phone(page)
    for item in ("conduct", "attitude", "competence", "timeliness", "result"):
        option = page.locator(f"label[for=id_{item}_0]")  # 非常满意
        assert option.bounding_box()["height"] >= 44, "touch-sized"
        option.click()
    page.fill("#id_suggestions", "服务及时，希望继续合作。")
    shots(page, "evaluation form on a phone")
    page.get_by_role("button", name="提交评价").click()
    expect()(page.get_by_text("感谢您的评价")).to_be_visible()
    expect()(page.get_by_text("总分 50 / 50")).to_be_visible()
    fits_the_phone(page)
    shots(page, "evaluated on a phone")


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"sideways scroll on {page.url}"


def open_from_list(page, base_url, demand, path="/demands/"):
    """Find the demand in a list and open it (as a person does)."""
    page.goto(base_url + path)
    page.get_by_role("link", name=demand.number).first.click()
    expect()(page.locator("h1")).to_have_text(demand.number)


def close(page, shots):
    page.reload()
    shows_status(page, S.EVALUATED)
    expect()(page.locator("[data-testid=evaluation-total]")).to_have_text("50 / 50")
    act(page, "close")
    submit(page)
    shows_status(page, S.CLOSED)
    expect()(page.locator("[data-testid=no-actions]")).to_have_text("该需求已结束。")
    shots(page, "closed")


def assert_run_is_clean(demand, people):
    assert people.off_origin == [], f"requests left the origin: {people.off_origin}"
    assert audit_chain.verify(AuditLog).ok


# --- the paths ------------------------------------------------------------------------------------


def test_the_direct_path_through_the_ui(world, live_server, people, shots):
    base = live_server.url
    specialist = people("sp_jimei")

    demand = register(specialist, world, base, shots)
    assert demand.specialist == world.sp_jimei, "the specialist who registers it serves it"
    prepare(specialist, shots)
    confirm(specialist, "direct", shots)
    agree_and_plan(specialist, shots)
    serve(specialist, shots, "三坐标测量机未建立校准周期")
    link = summarise(specialist, shots)
    evaluate_on_a_phone(people, link, shots)
    close(specialist, shots)

    demand.refresh_from_db()
    assert demand.status == S.CLOSED and demand.evaluation.total == 50 and demand.evaluation.channel == "link"
    assert LedgerEntry.objects.get(demand=demand).author == world.people.specialist
    assert statuses(demand) == [
        S.REGISTERED, S.PREPARING, S.CONFIRMED, S.AGREEMENT_SIGNED, S.PLAN_MADE,
        S.IN_SERVICE, S.SERVICE_ENDED, S.SUMMARY_SUBMITTED, S.EVALUATED, S.CLOSED,
    ]  # fmt: skip
    assert_run_is_clean(demand, people)


def test_the_assisted_path_through_the_ui(world, live_server, people, shots):
    base = live_server.url
    officer, specialist = people("officer_jimei"), people("sp_jimei")

    # The district's agency registers the demand and assigns it; the specialist accepts it.
    demand = register(officer, world, base, shots, source="电话")
    assert demand.specialist is None and demand.registered_by == world.people.officer_jimei
    act(officer, "assign")
    officer.select_option("#id_specialist", value=str(world.sp_jimei.pk))
    officer.fill("#id_note", "请尽快联系企业")
    submit(officer)
    flashed(officer, "已指派给 王建华，等待其确认。")
    shots(officer, "assigned")
    open_from_list(specialist, base, demand, "/demands/my-work/")
    expect()(specialist.locator("[data-testid=assignment-pending]")).to_contain_text("请尽快联系企业")
    specialist.locator("[data-action=accept_assignment]").click()
    expect()(specialist.locator("[data-testid=assignment-pending]")).to_have_count(0)
    shows_status(specialist, S.REGISTERED)
    shots(specialist, "assignment accepted")

    # Prepared and confirmed with the enterprise: it needs an institution's qualification.
    prepare(specialist, shots)
    confirm(specialist, "assisted", shots)
    act(specialist, "escalate")
    specialist.fill("#id_reason", "需要检定资质")
    specialist.fill("#id_needs", "三坐标测量机校准并出具证书")
    submit(specialist)
    shows_status(specialist, S.ESCALATED)
    shots(specialist, "escalated to the platform")

    # The agency dispatches it to the metrology institute, whose staff accept it.
    officer.reload()
    shows_status(officer, S.ESCALATED)
    act(officer, "dispatch")
    officer.click(f"label:has-text('{world.metrology.name}')")
    shots(officer, "dispatch form")
    submit(officer)
    flashed(officer, "已派单，等待技术机构接单。")
    shows_status(officer, S.DISPATCHED)
    expect()(officer.locator("#escalation [data-testid=dispatch]")).to_contain_text(world.metrology.name)
    shots(officer, "dispatched")
    institution = people("inst_staff")
    open_from_list(institution, base, demand)
    shows_status(institution, S.DISPATCHED)
    act(institution, "accept_dispatch")
    shows_status(institution, S.ACCEPTED)
    shots(institution, "accepted by the institution")

    # The institution signs the tripartite agreement and makes the plan; the specialist
    # records that the enterprise was told of it (8.4.2 c); the institution serves.
    agree_and_plan(institution, shots)
    specialist.reload()
    act(specialist, "mark_informed")
    specialist.fill("#id_informed_on", day())
    submit(specialist)
    expect()(specialist.locator("[data-testid=informed]")).to_be_visible()
    shots(specialist, "plan told to the enterprise")
    institution.reload()
    institution.fill("#timeline textarea[name=text]", "已完成首轮校准")
    institution.locator("#timeline button[type=submit]").click()
    expect()(institution.locator("[data-testid=timeline] li[data-kind=progress]")).to_contain_text("已完成首轮校准")
    shots(institution, "progress note")
    serve(institution, shots, "三坐标测量机需要出具校准证书")

    # The specialist's summary; the enterprise evaluates on a phone; the agency closes.
    specialist.reload()
    link = summarise(specialist, shots)
    evaluate_on_a_phone(people, link, shots)
    close(officer, shots)

    demand.refresh_from_db()
    assert demand.status == S.CLOSED and demand.service_mode == "assisted"
    assert demand.evaluation.total == 50 and demand.evaluation.specialist == world.sp_jimei
    assert LedgerEntry.objects.get(demand=demand).author == world.people.institution_staff
    assert demand.notes.get().author == world.people.institution_staff
    assert demand.agreements.get().institution == world.metrology
    assert statuses(demand) == [
        S.REGISTERED, S.PREPARING, S.CONFIRMED, S.ESCALATED, S.DISPATCHED, S.ACCEPTED, S.AGREEMENT_SIGNED,
        S.PLAN_MADE, S.IN_SERVICE, S.SERVICE_ENDED, S.SUMMARY_SUBMITTED, S.EVALUATED, S.CLOSED,
    ]  # fmt: skip
    assert_run_is_clean(demand, people)
