import re

import pytest
from django.test import Client

from qiservice.core.models import AuditEvent, AuditLog

from ..conftest import PASSWORD

# The sidebar of each role, in order (qiservice/core/context_processors.py MENU).
OWN = ["我的导出", "接口令牌", "接口文档"]
POOL = ["专项服务任务", "服务对象", "服务专员库", "业务培训"]
LISTS = ["工作台账", "满意度评价"]
ADMIN_TOOLS = ["政策文件库", "企业账户审核", "数据导入"]
MENU = {
    "admin": [
        "首页", "统计监管", "我的工作", "服务需求", *POOL, "绩效评估", *LISTS, "投诉", "技术机构", "典型案例库",
        *ADMIN_TOOLS, "时限与工作日", "审计日志", "账户安全管理", *OWN,
    ],
    "officer_jimei": [
        "首页", "统计监管", "我的工作", "服务需求", *POOL, "绩效评估", *LISTS, "投诉", "技术机构", "典型案例库",
        *ADMIN_TOOLS, *OWN,
    ],
    "specialist": [
        "首页", "我的工作", "服务需求", *POOL, "我的绩效", *LISTS, "投诉", "技术机构", "典型案例库", *OWN,
    ],
    "institution_staff": ["首页", "我的工作", "服务需求", *LISTS, "技术机构", "典型案例库", *OWN],
    # The enterprise's contacts work in the portal, not in the staff pages.
    "enterprise_user": ["首页", "企业门户", "服务对象", "投诉", "技术机构", "典型案例库", *OWN],
    "auditor": [
        "首页", "统计监管", "服务需求", *POOL, "绩效评估", *LISTS, "投诉", "技术机构", "典型案例库", *ADMIN_TOOLS,
        "审计日志", "账户安全管理", *OWN,
    ],
    "outsider": ["首页", "技术机构", "典型案例库", *OWN],
}  # fmt: skip


def menu_of(html):
    sidebar = html.split('id="sidebar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<span class="menu-icon"[^>]*>[^<]*</span>([^<]+)</a>', sidebar)


def test_the_site_opens_on_the_public_home_with_a_login_link(db):
    # Changed with the public pages (issue 8): an anonymous visitor lands on the public
    # home page, which links to the login form.
    response = Client().get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/public/"
    html = response.content.decode()
    assert 'href="/login/"' in html
    assert "登录" in html


def test_login_and_logout_are_audited_and_failures_too(world):
    client = Client()
    bad = client.post("/login/", {"username": "admin", "password": "wrong"})
    assert "用户名或密码不正确" in bad.content.decode()
    assert AuditLog.objects.filter(event_type=AuditEvent.LOGIN_FAILED, extra__username="admin").exists()
    good = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert good.status_code == 302
    login_entry = AuditLog.objects.get(event_type=AuditEvent.LOGIN)
    assert login_entry.actor == world.people.admin
    assert login_entry.ip_address == "127.0.0.1"
    client.post("/logout/")
    assert AuditLog.objects.filter(event_type=AuditEvent.LOGOUT, actor=world.people.admin).exists()


@pytest.mark.parametrize("role", MENU)
def test_each_role_sees_only_its_menu(world, login, role):
    # follow: an enterprise user's home is the portal.
    html = login(getattr(world.people, role)).get("/", follow=True).content.decode()
    assert [item.strip() for item in menu_of(html)] == MENU[role]


def test_home_pages_show_each_roles_own_things(world, login):
    admin = login(world.people.admin).get("/").content.decode()
    assert 'data-testid="count-enterprises">3<' in admin
    officer = login(world.people.officer_jimei).get("/").content.decode()
    assert 'data-testid="count-enterprises">1<' in officer
    specialist = login(world.people.specialist).get("/").content.decode()
    assert "我的专员档案" in specialist and "王建华" in specialist
    institution = login(world.people.institution_staff).get("/").content.decode()
    assert "厦门市计量检定测试院" in institution and "1 个服务项目" in institution
    enterprise = login(world.people.enterprise_user).get("/", follow=True).content.decode()
    assert "企业门户" in enterprise and world.ent_jimei.name in enterprise
    outsider = login(world.people.outsider).get("/").content.decode()
    assert "尚未分配角色" in outsider


def test_the_ui_is_chinese_by_default_even_for_an_english_browser(world, login):
    client = login(world.people.admin)
    response = client.get("/enterprises/new/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "删除" in body or "保存" in body


def test_the_language_switch_turns_the_ui_english(world, login):
    client = login(world.people.admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/enterprises/").content.decode()
    assert '<html lang="en">' in body
    assert "Enterprises" in body
    assert "Keyword" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "服务对象" in client.get("/enterprises/").content.decode()


def test_pages_load_nothing_from_other_hosts(world, login):
    client = login(world.people.admin)
    for path in ("/", "/enterprises/", f"/enterprises/{world.ent_jimei.pk}/", "/enterprises/new/", "/api/docs"):
        html = client.get(path).content.decode()
        external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert external == [], f"{path} refers to {external}"


def test_static_assets_are_served_by_the_app(world, login, live_server):
    import urllib.request

    for path in (
        "/static/bootstrap/css/bootstrap.min.css",
        "/static/django_htmx/htmx-2.min.js",
        "/static/core/app.css",
    ):
        with urllib.request.urlopen(live_server.url + path) as response:  # noqa: S310 - our own test server
            assert response.status == 200
            assert len(response.read()) > 100
