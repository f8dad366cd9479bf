import functools

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from .visibility import get_scope


# The sidebar: (url name, label, icon letter, who sees it). Other apps append entries.
def _works(s):
    return bool(s.is_agency or s.is_specialist or s.institution_ids)


MENU = [
    ("home", _("首页"), "⌂", lambda s: True),
    ("portal:home", _("企业门户"), "门", lambda s: bool(s.enterprise_ids)),
    ("reports:dashboard", _("统计监管"), "统", lambda s: s.is_agency or s.is_auditor),
    ("demands:my_work", _("我的工作"), "办", _works),
    ("demands:list", _("服务需求"), "需", lambda s: _works(s) or s.is_auditor),
    ("demands:task_list", _("专项服务任务"), "任", lambda s: s.is_agency or s.is_auditor or s.is_specialist),
    (
        "enterprises:list",
        _("服务对象"),
        "企",
        lambda s: s.is_agency or s.is_auditor or s.is_specialist or s.enterprise_ids,
    ),
    ("specialists:list", _("服务专员库"), "专", lambda s: s.is_agency or s.is_auditor or s.is_specialist),
    ("specialists:training_list", _("业务培训"), "培", lambda s: s.is_agency or s.is_auditor or s.is_specialist),
    ("assessments:list", _("绩效评估"), "绩", lambda s: s.is_agency or s.is_auditor),
    ("assessments:mine", _("我的绩效"), "绩", lambda s: s.is_specialist),
    ("exports:ledger_list", _("工作台账"), "账", lambda s: _works(s) or s.is_auditor),
    ("exports:evaluation_list", _("满意度评价"), "评", lambda s: _works(s) or s.is_auditor),
    (
        "complaints:list",
        _("投诉"),
        "诉",
        lambda s: s.is_agency or s.is_auditor or s.is_specialist or bool(s.enterprise_ids),
    ),
    ("institutions:list", _("技术机构"), "机", lambda s: True),
    ("demands:case_list", _("典型案例库"), "例", lambda s: True),
    ("public:policy_manage_list", _("政策文件库"), "政", lambda s: s.is_agency or s.is_auditor),
    ("public:verification_queue", _("企业账户审核"), "核", lambda s: s.is_agency or s.is_auditor),
    ("imports:index", _("数据导入"), "导", lambda s: s.is_agency or s.is_auditor),
    ("deadlines:settings", _("时限与工作日"), "时", lambda s: s.is_agency_admin),
    ("auditlog", _("审计日志"), "审", lambda s: s.sees_everything),
    ("security", _("账户安全管理"), "安", lambda s: s.sees_everything),
    ("exports:jobs", _("我的导出"), "出", lambda s: True),
    ("tokens", _("接口令牌"), "钥", lambda s: True),
    ("api:openapi-view", _("接口文档"), "文", lambda s: True),
]


@functools.lru_cache(maxsize=16)
def menu_urls(urlconf, script_prefix):
    """{url name: address} of the menu's pages, worked out once per URL configuration
    (reversing two dozen names cost every page most of a millisecond)."""
    urls = {}
    for name, *_rest in MENU:
        try:
            urls[name] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:  # a page not built yet
            continue
    return urls


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = get_scope(user)
    current = request.path
    urls = menu_urls(get_urlconf(settings.ROOT_URLCONF), get_script_prefix())
    items = [
        {"url": urls[name], "label": label, "icon": icon, "active": False}
        for name, label, icon, visible in MENU
        if name in urls and visible(scope)
    ]
    # The entry whose address is the longest prefix of this page is the active one
    # (/demands/my-work/ is 我的工作, not 服务需求).
    matches = [i for i in items if current == i["url"] or (i["url"] != "/" and current.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    from qiservice.accounts.choices import Role

    role_labels = [label for value, label in Role.choices if value in scope.roles]
    from qiservice.notifications.models import Notification

    unread = Notification.objects.unread().filter(user=user).count()
    return {"menu": items, "scope": scope, "role_labels": role_labels, "unread_count": unread}
