"""The portal is the enterprise user's home: its demands in plain words, unread replies,
the button to submit a new demand, and a menu entry."""

from qiservice.portal import workflow as portal
from tests.accounts.test_login_and_shell import menu_of
from tests.conftest import make_user

from .helpers import submit, to_plan


def test_the_enterprise_users_home_is_the_portal(world, login):
    response = login(world.people.enterprise_user).get("/")
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_users_with_other_roles_keep_their_home(world, login):
    both = make_user("both", "agency_staff", district=world.jimei)
    from qiservice.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=both, role="enterprise_user", enterprise=world.ent_jimei)
    for user in (both, world.people.admin, world.people.outsider):
        assert login(user).get("/").status_code == 200


def test_the_menu_has_the_portal_for_enterprise_users_only(world, login):
    html = login(world.people.enterprise_user).get("/portal/").content.decode()
    assert [item.strip() for item in menu_of(html)][:2] == ["首页", "企业门户"]
    assert 'href="/portal/" aria-current="page"' in html  # the active entry
    admin = [item.strip() for item in menu_of(login(world.people.admin).get("/").content.decode())]
    assert "企业门户" not in admin


def test_the_home_lists_the_demands_in_plain_words_with_the_next_step(world, login):
    registered = submit(world, description="第一条需求：量具校准")
    planned = to_plan(world, submit(world, description="第二条需求：产品检测"), with_secrets=False)
    html = login(world.people.enterprise_user).get("/portal/").content.decode()
    assert "厦门集美精密机械有限公司" in html and "提交新需求" in html
    assert html.index(planned.number) < html.index(registered.number)  # newest first
    assert "已收到您的需求" in html and "管理机构正在为您安排服务专员" in html
    assert "服务方案已制定" in html and "阅读方案并确认" in html
    assert "服务专员：</span>王建华" in html and "服务专员：</span>待安排" in html


def test_the_home_counts_unread_replies(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    portal.post_message(demand, by=world.people.specialist, text="第一条回复")
    portal.post_message(demand, by=world.people.institution_staff, text="第二条回复")
    html = login(world.people.enterprise_user).get("/portal/").content.decode()
    assert "2 条新回复" in html and "第一条回复" in html and "第二条回复" in html
    card = login(world.people.enterprise_user).get("/api/portal/demands").json()["items"][0]
    assert card["unread_messages"] == 2 and card["needs_acknowledgement"] is True


def test_the_home_pages_its_demands(world, login, monkeypatch):
    from qiservice.portal import views

    monkeypatch.setattr(views, "DEMANDS_PER_PAGE", 2)
    numbers = [submit(world).number for _ in range(3)]
    client = login(world.people.enterprise_user)
    first, second = client.get("/portal/").content.decode(), client.get("/portal/?page=2").content.decode()
    assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
    assert numbers[0] in second and "2 / 2" in second
