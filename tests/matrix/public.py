"""Access matrix rows of the public pages (no login), self-registration, the account
verification queue and the policy library's management pages.

Public pages answer 200 to everyone, anonymous included. The account request is a
pending request naming the 集美 enterprise: the admin and the 集美 officer may decide it
(302 back to the queue), the auditor reads it (403 on actions), everybody else 404.
"""

from .common import ROLES, table

EVERYONE = dict.fromkeys(ROLES, 200)
AGENCY_READ = {"admin": 200, "officer_jimei": 200, "officer_siming": 200, "auditor": 200}
DECIDE = table(404, admin=302, officer_jimei=302, auditor=403)

UI = [
    ("GET", "/public/", EVERYONE),
    ("GET", "/public/help/", EVERYONE),
    ("GET", "/public/institutions/", EVERYONE),
    ("GET", "/public/institutions/{pub_institution}/", EVERYONE),
    ("GET", "/public/cases/", EVERYONE),
    ("GET", "/public/cases/{pub_case}/", EVERYONE),
    ("GET", "/public/policies/", EVERYONE),
    ("GET", "/public/policies/{pub_policy}/", EVERYONE),
    ("GET", "/public/policies/{pub_policy}/file/", EVERYONE),
    # A logged-in user has an account already: sent to their account page.
    ("GET", "/public/register/", table(302, anonymous=200)),
    ("GET", "/public/pending/", table(200)),
    ("GET", "/public/accounts/", table(403, **AGENCY_READ)),
    ("POST", "/public/accounts/{pub_request}/approve/", DECIDE),
    ("POST", "/public/accounts/{pub_request}/reject/", DECIDE),
    ("POST", "/public/accounts/{pub_request}/revoke/", DECIDE),
    ("GET", "/public/manage/policies/", table(403, **AGENCY_READ)),
    ("GET", "/public/manage/policies/new/", table(403, admin=200)),
    ("GET", "/public/manage/policies/{pub_policy}/", table(403, **AGENCY_READ)),
    ("GET", "/public/manage/policies/{pub_policy}/edit/", table(403, admin=200)),
]


class Lazy:
    """A placeholder made only when a row uses it."""

    def __init__(self, make):
        self.make = make

    def __format__(self, spec):
        return format(self.make(), spec)


def _policy():
    import datetime

    from django.core.files.base import ContentFile

    from qiservice.public.models import Policy

    policy = Policy(
        title="厦门市质量强市建设实施方案",
        issuing_body="厦门市人民政府",
        document_number="厦府〔2026〕1号",
        issued_on=datetime.date(2026, 3, 1),
        qi_field="quality_management",
        summary="质量强市",
        body="正文",
        is_published=True,
    )
    policy.file.save("plan.pdf", ContentFile(b"%PDF-1.4\n%test\n"), save=False)
    policy.save()
    return policy.pk


def _request(world):
    from qiservice.public import workflow

    return workflow.register(
        username="new_contact",
        password="Very-long-2026-pass",
        contact_name="赵敏",
        credit_code=world.ent_jimei.credit_code,
        enterprise_name=world.ent_jimei.name,
        phone="13812345678",
    ).pk


def objects(world):
    from tests.public.helpers import published_case

    return {
        "pub_institution": world.metrology.pk,
        "pub_case": Lazy(lambda: published_case(world).pk),
        "pub_policy": Lazy(_policy),
        "pub_request": Lazy(lambda: _request(world)),
    }
