"""Access matrix rows of the matching pages."""

from .common import table

AGENCY_JIMEI = {"admin": 200, "officer_jimei": 200}

UI = [
    (
        "GET",
        "/specialists/match/{match_demand}/",
        table(404, auditor=403, specialist=403, enterprise_user=403, **AGENCY_JIMEI),
    ),
    (
        "GET",
        "/specialists/match/{match_demand}/institutions/",
        table(404, auditor=403, specialist=403, enterprise_user=403, **AGENCY_JIMEI),
    ),
    # An assignment posted without a version by someone allowed: assigned, then redirected.
    (
        "POST",
        "/specialists/match/{match_demand}/assign/{sp_jimei}/",
        table(404, auditor=403, specialist=403, enterprise_user=403, admin=302, officer_jimei=302),
    ),
    ("GET", "/specialists/matching/weights/", table(403, admin=200)),
]


def objects(world):
    from qiservice.demands import workflow

    demand = workflow.register_demand(
        by=world.people.specialist,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="张",
        contact_phone="13800001111",
        description="计量",
    )
    return {"match_demand": demand.pk}
