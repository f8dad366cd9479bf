"""Access matrix rows of the enterprise portal (/portal/, /api/portal/).

{pt_demand} is a demand 厦门集美精密机械有限公司's user submitted online, served by 王建华
with 厦门市计量检定测试院 up to its plan (not yet acknowledged); {pt_attachment} is the file
the enterprise sent with it. The portal shows a demand to the users of its own enterprise
only: everyone else gets 404, the agency included (it has the staff demand page). The
service side answers the enterprise's messages from the staff page: the agency of the
district, the specialist and the institution that accepted it; the enterprise's user and
the auditor see that demand but may not answer for the service side (403)."""

from .common import api_table, table

FORM = {
    "categories": ["metrology"],
    "description": "矩阵测试：量具校准",
    "contact_name": "林经理",
    "contact_phone": "13912345678",
}
SERVICE = {"admin": 302, "officer_jimei": 302, "specialist": 302, "institution_staff": 302}
READERS = {"enterprise_user": 403, "auditor": 403}

UI = [
    # Everyone logged in has a portal; without an enterprise role it explains the pending verification.
    ("GET", "/portal/", table(200)),
    ("GET", "/portal/demands/new/", table(403, enterprise_user=200)),
    ("POST", "/portal/demands/new/", table(403, enterprise_user=200)),  # empty: the form's errors
    ("GET", "/portal/demands/{pt_demand}/", table(404, enterprise_user=200)),
    ("GET", "/portal/demands/{pt_demand}/submitted/", table(404, enterprise_user=200)),
    ("POST", "/portal/demands/{pt_demand}/acknowledge/", table(404, enterprise_user=302)),
    ("POST", "/portal/demands/{pt_demand}/messages/", table(404, enterprise_user=302), {"text": "你好"}),
    # Posted without a reason: back to the page with the message, nothing changed.
    ("POST", "/portal/demands/{pt_demand}/withdraw/", table(404, enterprise_user=302)),
    ("GET", "/portal/demands/{pt_demand}/attachments/{pt_attachment}/", table(404, enterprise_user=200)),
    ("POST", "/portal/service/demands/{pt_demand}/messages/", table(404, **SERVICE, **READERS), {"text": "回复"}),
    ("POST", "/portal/service/demands/{pt_demand}/messages/read/", table(404, **SERVICE, **READERS)),
]

API = [
    ("GET", "/api/portal/demands", api_table(200)),
    ("POST", "/api/portal/demands", api_table(403, enterprise_user=201), FORM),
    ("GET", "/api/portal/demands/{pt_demand}", api_table(404, enterprise_user=200)),
    ("GET", "/api/portal/demands/{pt_demand}/messages", api_table(404, enterprise_user=200)),
    ("POST", "/api/portal/demands/{pt_demand}/messages", api_table(404, enterprise_user=201), {"text": "你好"}),
    ("POST", "/api/portal/demands/{pt_demand}/acknowledge", api_table(404, enterprise_user=200), {}),
    # A stale version: 409 for the enterprise, which proves the scope check came first.
    (
        "POST",
        "/api/portal/demands/{pt_demand}/withdraw",
        api_table(404, enterprise_user=409),
        {"reason": "测试", "version": 0},
    ),
]


class _Lazy:
    """Made only when a path uses it: the other modules' rows do not pay for this demand."""

    def __init__(self, made, key):
        self.made, self.key = made, key

    def __format__(self, spec):
        return format(self.made()[self.key], spec)


def objects(world):
    from tests.portal.helpers import pdf, submit, to_plan

    cache = {}

    def made():
        if not cache:
            demand = to_plan(world, submit(world, uploads=[pdf()]), with_secrets=False)
            cache.update(pt_demand=demand.pk, pt_attachment=demand.attachments.get().pk)
        return cache

    return {"pt_demand": _Lazy(made, "pt_demand"), "pt_attachment": _Lazy(made, "pt_attachment")}
