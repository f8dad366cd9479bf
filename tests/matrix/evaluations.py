"""Access matrix rows of the satisfaction evaluation (8.6.1, Appendix C).

{eval_demand} is an assisted demand of 集美 whose service has ended: served by 王建华 with
厦门市计量检定测试院 (so the institution's staff work on it), awaiting its evaluation;
{eval_token} is its invitation link's token. Each test gets a fresh one, so every role
may use the link once."""

from .common import api_table, table

RATINGS = {"conduct": 10, "attitude": 8, "competence": 8, "timeliness": 6, "result": 10}

# Those who see the demand, and those of them who may show and reissue the link.
IN_SCOPE = {"admin": 200, "officer_jimei": 200, "specialist": 200, "institution_staff": 200}
READERS = {"enterprise_user": 403, "auditor": 403}

UI = [
    # The link needs no login: everyone, anonymous included, opens and submits it.
    ("GET", "/e/{eval_token}/", table(200, anonymous=200)),
    ("POST", "/e/{eval_token}/", table(200, anonymous=200), RATINGS),
    ("GET", "/e/forged-token/", table(404, anonymous=404)),
    ("GET", "/e/demand/{eval_demand}/qr.svg", table(404, **IN_SCOPE, **READERS)),
    (
        "POST",
        "/e/demand/{eval_demand}/reissue/",
        table(404, admin=302, officer_jimei=302, specialist=302, institution_staff=302, **READERS),
    ),
    # The enterprise's own users evaluate from their login (an empty form: its errors).
    (
        "GET",
        "/e/demand/{eval_demand}/portal/",
        table(
            404, admin=403, officer_jimei=403, specialist=403, institution_staff=403, auditor=403, enterprise_user=200
        ),
    ),
    (
        "POST",
        "/e/demand/{eval_demand}/portal/",
        table(
            404, admin=403, officer_jimei=403, specialist=403, institution_staff=403, auditor=403, enterprise_user=200
        ),
    ),
    # The district's agency types in the paper form.
    (
        "GET",
        "/e/demand/{eval_demand}/paper/",
        table(404, admin=200, officer_jimei=200, specialist=403, institution_staff=403, **READERS),
    ),
    (
        "POST",
        "/e/demand/{eval_demand}/paper/",
        table(404, admin=302, officer_jimei=302, specialist=403, institution_staff=403, **READERS),
        RATINGS,
    ),
]

API = [
    # Not evaluated yet: in scope it is a 404 saying so, as outside the scope.
    ("GET", "/api/evaluations/demand/{eval_demand}", api_table(404)),
    (
        "POST",
        "/api/evaluations/demand/{eval_demand}",
        api_table(
            404, admin=201, officer_jimei=201, enterprise_user=201, specialist=403, institution_staff=403, auditor=403
        ),
        RATINGS,
    ),
    ("POST", "/api/evaluations/link/{eval_token}", table(201, anonymous=201), RATINGS),
]


class _Lazy:
    """A placeholder filled in only when a path uses it: driving a demand to the end of
    service takes a dozen rules calls, which the other modules' rows need not pay for."""

    def __init__(self, made, key):
        self.made, self.key = made, key

    def __format__(self, spec):
        return format(self.made()[self.key], spec)


def objects(world):
    from tests.evaluations.helpers import ended_demand

    cache = {}

    def made():
        if not cache:
            demand, invitation = ended_demand(world, mode="assisted")
            cache.update(eval_demand=demand.pk, eval_token=invitation.token)
        return cache

    return {"eval_demand": _Lazy(made, "eval_demand"), "eval_token": _Lazy(made, "eval_token")}
