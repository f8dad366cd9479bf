"""Access matrix rows of the foundation: accounts, enterprises, institutions, specialists."""

from .common import api_table, table

# (method, path template, expected status per role). {ent_jimei} etc. are filled in from
# the test world: ent_jimei is in 集美 (in scope of the 集美 officer, the 集美 specialist and
# the enterprise user), ent_siming in 思明.
UI = [
    # anonymous: to the public home page; an enterprise user's home is the portal
    ("GET", "/", table(200, anonymous=302, enterprise_user=302)),
    ("GET", "/tokens/", table(200)),
    ("GET", "/password/", table(200)),
    ("GET", "/enterprises/", table(200)),
    (
        "GET",
        "/enterprises/new/",
        table(403, admin=200, officer_jimei=200, officer_siming=200, specialist=200, specialist_siming=200),
    ),
    (
        "GET",
        "/enterprises/{ent_jimei}/",
        table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=200),
    ),
    (
        "GET",
        "/enterprises/{ent_siming}/",
        table(404, admin=200, officer_siming=200, specialist_siming=200, auditor=200),
    ),
    (
        "GET",
        "/enterprises/{ent_jimei}/edit/",
        table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=403),
    ),
    ("GET", "/enterprises/{ent_huli}/edit/", table(404, admin=200, auditor=403)),
    ("GET", "/institutions/", table(200)),
    ("GET", "/institutions/new/", table(403, admin=200)),
    ("GET", "/institutions/{metrology}/", table(200)),
    ("GET", "/institutions/{metrology}/edit/", table(403, admin=200, institution_staff=200)),
    ("GET", "/institutions/{testing}/edit/", table(403, admin=200)),
    ("GET", "/specialists/", table(200)),
    ("GET", "/specialists/new/", table(403, admin=200, officer_jimei=200, officer_siming=200)),
    # The list filters' specialist picker: suggestions from the specialists each may see
    # (possibly none); one picked by id only by those who see them; no field named: 404.
    ("GET", "/specialists/picker/", table(404)),
    ("GET", "/specialists/picker/?name=specialist&specialist_name=王", table(200)),
    (
        "GET",
        "/specialists/picker/?name=specialist&pick={sp_jimei}",
        table(404, admin=200, officer_jimei=200, specialist=200, auditor=200),
    ),
    ("GET", "/specialists/{sp_jimei}/", table(404, admin=200, officer_jimei=200, specialist=200, auditor=200)),
    ("GET", "/specialists/{sp_jimei}/edit/", table(404, admin=200, officer_jimei=200, specialist=200, auditor=403)),
    (
        "GET",
        "/specialists/{sp_siming}/edit/",
        table(404, admin=200, officer_siming=200, specialist_siming=200, auditor=403),
    ),
    # A status change form posted empty: the agency gets its form error (a redirect back);
    # the specialist may edit their profile but not their own status.
    (
        "POST",
        "/specialists/{sp_jimei}/status/",
        table(404, admin=302, officer_jimei=302, specialist=403, auditor=403),
    ),
    ("POST", "/tokens/{token}/revoke/", table(404, outsider=302)),
    ("GET", "/audit/", table(403, admin=200, auditor=200)),
]

API = [
    ("GET", "/api/me", api_table(200)),
    ("GET", "/api/districts", api_table(200)),
    ("GET", "/api/audit-log", api_table(403, admin=200, auditor=200)),
    ("GET", "/api/enterprises", api_table(200)),
    (
        "GET",
        "/api/enterprises/{ent_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=200),
    ),
    ("GET", "/api/enterprises/{ent_huli}", api_table(404, admin=200, auditor=200)),
    (
        "POST",
        "/api/enterprises",
        api_table(403, admin=422, officer_jimei=422, officer_siming=422, specialist=422, specialist_siming=422),
    ),
    (
        "PATCH",
        "/api/enterprises/{ent_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=403),
    ),
    ("GET", "/api/institutions", api_table(200)),
    ("GET", "/api/institutions/{metrology}", api_table(200)),
    ("POST", "/api/institutions", api_table(403, admin=422)),
    ("PATCH", "/api/institutions/{metrology}", api_table(403, admin=200, institution_staff=200)),
    ("GET", "/api/specialists", api_table(200)),
    ("GET", "/api/specialists/{sp_jimei}", api_table(404, admin=200, officer_jimei=200, specialist=200, auditor=200)),
    ("POST", "/api/specialists", api_table(403, admin=422, officer_jimei=422, officer_siming=422)),
    (
        "PATCH",
        "/api/specialists/{sp_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, auditor=403),
    ),
    # An impossible transition (active → applicant): refused with 422 once access is granted.
    (
        "POST",
        "/api/specialists/{sp_jimei}/status",
        api_table(404, admin=422, officer_jimei=422, specialist=403, auditor=403),
        {"to_status": "applicant", "reason": "测试"},
    ),
]


def objects(world):
    from qiservice.accounts.models import ApiToken

    token, _key = ApiToken.issue(world.people.outsider, "matrix")
    return {
        "ent_jimei": world.ent_jimei.pk,
        "ent_siming": world.ent_siming.pk,
        "ent_huli": world.ent_huli.pk,
        "metrology": world.metrology.pk,
        "testing": world.testing.pk,
        "sp_jimei": world.sp_jimei.pk,
        "sp_siming": world.sp_siming.pk,
        "token": token.pk,
    }
