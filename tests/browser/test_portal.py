"""The enterprise portal end to end on a phone (375×812) in headless Chromium: submit a
demand, follow it through the service, acknowledge the plan, exchange messages, evaluate —
and nothing is requested from any other host."""

from pathlib import Path

import pytest

from ..demands._ui import PDF
from .conftest import CHROMIUM, PHONE, screenshot_root

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = screenshot_root()


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"sideways scroll on {page.url}"


def test_an_enterprise_user_submits_follows_acknowledges_talks_and_evaluates_on_a_phone(
    world, live_server, browser, tmp_path
):
    from qiservice.demands.models import Demand, ServicePlan
    from qiservice.evaluations.models import Evaluation
    from qiservice.portal import workflow as portal
    from qiservice.portal.models import Message
    from tests.portal.helpers import to_end, to_plan

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10000)
    off_origin = []
    page.on("request", lambda r: off_origin.append(r.url) if not r.url.startswith(live_server.url) else None)

    # A contact of the enterprise registers on the phone; until the agency verifies the link
    # the account sees nothing of the enterprise.
    from django.contrib.auth import get_user_model

    from qiservice.public import workflow as accounts
    from qiservice.public.models import EnterpriseAccountRequest

    page.goto(live_server.url + "/public/register/")
    page.fill("#id_contact_name", "郑晓燕")
    page.fill("#id_enterprise_name", world.ent_jimei.name)
    page.fill("#id_credit_code", world.ent_jimei.credit_code)
    page.fill("#id_phone", "13912345678")
    page.fill("#id_username", "zheng_xy")
    page.fill("#id_password1", "Portal-2026-qi!")
    page.fill("#id_password2", "Portal-2026-qi!")
    page.click("form button[type=submit]")
    page.wait_for_url(live_server.url + "/public/pending/")
    fits_the_phone(page)
    contact = get_user_model().objects.get(username="zheng_xy")
    assert not contact.role_assignments.exists()
    page.goto(live_server.url + "/portal/")
    assert world.ent_jimei.name not in page.content()

    # The district's agency verifies the link; the next page is the enterprise's portal.
    accounts.approve(EnterpriseAccountRequest.objects.get(user=contact), by=world.people.officer_jimei)
    page.goto(live_server.url + "/")
    page.wait_for_url(live_server.url + "/portal/")
    page.wait_for_selector("text=还没有需求")
    fits_the_phone(page)

    # Submit a demand with a file.
    page.click("[data-testid=portal-new-demand]")
    page.wait_for_selector("[data-testid=portal-demand-form]")
    fits_the_phone(page)
    assert page.input_value("#id_contact_phone") == "13912345678"  # prefilled from the contact's account
    page.click("label[for=id_categories_0]")  # 计量服务
    page.click("label[for=id_categories_2]")  # 检验检测服务
    assert page.locator("label[for=id_categories_0]").bounding_box()["height"] >= 44
    page.fill("#id_description", "新购三坐标测量机需要校准，希望尽快安排。")
    upload = tmp_path / "设备清单.pdf"
    upload.write_bytes(PDF)
    page.set_input_files("#id_files", str(upload))
    submit = page.locator("button:has-text('提交需求')")
    assert submit.bounding_box()["height"] >= 44
    submit.click()
    page.wait_for_selector("[data-testid=portal-submitted]")
    fits_the_phone(page)
    page.screenshot(path=SHOTS / "portal_submitted_phone.png", full_page=True)
    demand = Demand.objects.get()
    assert page.inner_text("[data-testid=demand-number]") == demand.number
    assert demand.source == "web" and demand.attachments.get().original_name == "设备清单.pdf"

    # The service side assigns, plans … (through the rules).
    to_plan(world, demand, with_secrets=False)
    page.click("text=查看需求进展")
    page.wait_for_selector("[data-testid=portal-acknowledge]")
    assert "服务方案已制定" in page.inner_text("[data-testid=portal-status]")
    assert "王建华" in page.inner_text("[data-testid=portal-people]")
    fits_the_phone(page)
    page.screenshot(path=SHOTS / "portal_plan_phone.png", full_page=True)
    page.click("[data-testid=portal-acknowledge]")
    page.wait_for_selector("[data-testid=portal-acknowledged]")
    plan = ServicePlan.objects.get(demand=demand)
    assert plan.acknowledged_by == contact

    # A message from the specialist, answered from the phone.
    portal.post_message(demand, by=world.people.specialist, text="请准备好设备清单和使用记录。")
    page.reload()
    page.wait_for_selector("text=请准备好设备清单和使用记录。")
    page.fill("#id_text", "已准备好，周三上午可以。")
    page.click("[data-testid=portal-send-message]")
    page.wait_for_selector("text=留言已发送")
    assert Message.objects.filter(side="enterprise", text="已准备好，周三上午可以。").exists()
    assert Message.objects.get(side="service").read_at is not None
    fits_the_phone(page)

    # Served and ended: the evaluation.
    to_end(world, demand)
    page.reload()
    page.click("[data-testid=portal-evaluate]")
    page.wait_for_selector("text=服务专员满意度评价表")
    fits_the_phone(page)
    for item in ("conduct", "attitude", "competence", "timeliness", "result"):
        page.click(f"label[for=id_{item}_0]")
    page.click("button:has-text('提交评价')")
    page.wait_for_url(f"{live_server.url}/portal/demands/{demand.pk}/")
    page.wait_for_selector("text=总分 50 / 50")
    fits_the_phone(page)
    page.screenshot(path=SHOTS / "portal_evaluated_phone.png", full_page=True)
    assert Evaluation.objects.get(demand=demand).channel == "portal"

    assert off_origin == [], f"requests left the origin: {off_origin}"
    context.close()
