"""A bounded load run in the suite (issue 10, item 10): gunicorn with two workers on
127.0.0.1 against the test database, filled with a small synthetic data set
(`generate_data --scale town`, fewer demands), and bench/load.py's client in a separate
process sending a mixed workload — the pages and API calls of six roles, reads and
registrations — at a modest fixed rate. Every request must succeed (no 5xx, no refused
connection, no timeout) and every request type must have been sent. Throughput and
latency are printed, not asserted (the machine is shared).

QI_LOAD_RATE / QI_LOAD_SECONDS change the rate and the length of the run."""

import io
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q

from bench import load
from qiservice.accounts.choices import Role
from qiservice.accounts.models import ApiToken, RoleAssignment
from qiservice.demands.choices import TERMINAL_STATUSES
from qiservice.demands.models import Demand, Dispatch
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist
from tests.conftest import make_user, shared_database_url

pytestmark = pytest.mark.load

RATE = float(os.environ.get("QI_LOAD_RATE", 20))
SECONDS = float(os.environ.get("QI_LOAD_SECONDS", 12))
WORKERS = 2
DEMANDS = 300


def workload():
    """The request types of the run: each role's own pages, the API, and registrations."""
    demands = Demand.objects.order_by("pk")
    sample = list(demands.values_list("pk", flat=True)[::10])
    district = demands.values_list("district_id", flat=True).first()
    enterprise = (
        Enterprise.objects.annotate(n=Count("demands")).filter(n__gt=0).order_by("-n", "pk").first()
    )  # the enterprise with the most demands has a portal worth reading
    busiest = (
        Specialist.objects.filter(user__isnull=False)
        .annotate(open=Count("demands", filter=~Q(demands__status__in=TERMINAL_STATUSES)))
        .order_by("-open", "pk")
        .first()
    )
    institution_id = Dispatch.objects.values_list("institution_id", flat=True).order_by("pk").first()

    admin = make_user("load_admin", Role.AGENCY_ADMIN)
    staff = make_user("load_staff", Role.AGENCY_STAFF, district_id=district)
    institution = make_user("load_institution", Role.INSTITUTION_STAFF, institution_id=institution_id)
    contact = make_user("load_enterprise", Role.ENTERPRISE_USER, enterprise=enterprise)
    auditor = make_user("load_auditor", Role.AUDITOR)
    assert RoleAssignment.objects.filter(user__username__startswith="load_").count() == 5

    as_admin, as_staff = load.session_header(admin), load.session_header(staff)
    as_specialist, as_institution = load.session_header(busiest.user), load.session_header(institution)
    as_enterprise, as_auditor = load.session_header(contact), load.session_header(auditor)
    token = {"Authorization": f"Bearer {ApiToken.issue(admin, 'load')[1]}"}
    own = list(Demand.objects.filter(specialist=busiest).values_list("pk", flat=True)[:20])
    portal = list(Demand.objects.filter(enterprise=enterprise).values_list("pk", flat=True)[:20])
    registration = {
        "enterprise": enterprise.pk,
        "categories": ["metrology"],
        "source": "phone",
        "contact_name": "张三",
        "contact_phone": "13800000000",
        "description": "压力表需要检定",
    }
    t = load.request_type
    return [
        t("admin: demand list", "/demands/", as_admin, weight=3),
        t("admin: filtered list", f"/demands/?status=in_service&category=metrology&district={district}", as_admin),
        t("admin: keyword search", "/demands/?q=校准", as_admin),
        t("admin: demand page", [f"/demands/{pk}/" for pk in sample], as_admin, weight=3),
        t("admin: enterprise list", "/enterprises/", as_admin),
        t("admin: dashboard", "/reports/", as_admin),
        t("staff: home", "/", as_staff),
        t("staff: district demands", "/demands/", as_staff),
        t("specialist: my work", "/demands/my-work/", as_specialist, weight=2),
        t("specialist: own demand", [f"/demands/{pk}/" for pk in own], as_specialist, weight=2),
        t("institution: demands", "/demands/", as_institution),
        t("enterprise: portal", "/portal/", as_enterprise),
        t("enterprise: portal demand", [f"/portal/demands/{pk}/" for pk in portal], as_enterprise),
        t("auditor: dashboard", "/reports/", as_auditor),
        t("api: demand list", "/api/demands", token),
        t("api: register", "/api/demands", token, method="POST", body=registration, expect=201),
    ]


def test_a_bounded_load_on_the_real_server_has_no_errors(concurrent_db, tmp_path, record_property):
    call_command("generate_data", scale="town", demands=DEMANDS, seed=10, stdout=io.StringIO())
    requests = workload()
    before = Demand.objects.count()
    env = dict(
        os.environ,
        DATABASE_URL=shared_database_url(),
        SECRET_KEY=settings.SECRET_KEY,  # the sessions were signed here
        QI_VAR_DIR=str(tmp_path),
        QUEUE_IMMEDIATE="1",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="qiservice.settings",
    )
    env.pop("DEBUG", None)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as server_log, load.start_server(WORKERS, env, stdout=server_log, stderr=server_log) as port:
        result = load.run_load(port, requests, rate=RATE, seconds=SECONDS, warm_seconds=2, timeout=60)

    figures = [
        f"load ({connection.vendor}, {WORKERS} gunicorn workers): {result['requests']} requests at {RATE:g}/s "
        f"in {result['seconds']} s: {result['throughput']} req/s, p50 {result['p50']} ms, p99 {result['p99']} ms, "
        f"{result['errors']} errors"
    ]
    figures += [f"  {name:<28} {f['requests']:>4} requests, p50 {f['p50']} ms" for name, f in result["types"].items()]
    record_property("figures", "\n".join(figures))  # printed at the end of the run (tests/conftest.py)
    assert result["warm"]["errors"] == 0, (result["warm"]["first_errors"], log.read_text()[-3000:])
    assert result["errors"] == 0, (result["first_errors"], log.read_text()[-3000:])
    assert result["requests"] == int(RATE * SECONDS)
    unexercised = [name for name, figures in result["types"].items() if figures["requests"] == 0]
    assert not unexercised, f"request types never sent: {unexercised}"
    registered = sum(run["types"]["api: register"]["requests"] for run in (result, result["warm"]))
    assert Demand.objects.count() == before + registered, "every registration answered 201 is stored"
