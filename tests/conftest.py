"""The named people of the test suite and their organisations.

Like Healthchecks' Alice/Bob/Charlie: each test asks for `world` and acts as one of
these people. Everything is rebuilt per test inside the test's transaction.
"""

import sqlite3
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client

from qiservice.accounts.choices import Role
from qiservice.accounts.models import Agency, District, RoleAssignment, User
from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution, ServiceItem
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist, SpecialistField

PASSWORD = "Test-pass-2026"

# Valid credit codes (GB 32100 check character) for the test enterprises.
CODES = {
    "ent_jimei": "91350211M0000001XX",
    "ent_siming": "91350203M0000002XC",
    "ent_huli": "91350206M0000003XQ",
}


def pytest_configure(config):
    from django.conf import settings

    # Argon2 is deliberately slow; tests hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Queue tasks run in the test's own process (the queue tests use a real Redis queue).
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


def pytest_terminal_summary(terminalreporter):
    """Figures a test measured but does not assert (`record_property("figures", text)`),
    printed after the run; they reach here from xdist's workers too."""
    seen = {}
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            for name, value in getattr(report, "user_properties", ()):
                if name == "figures":
                    seen[report.nodeid] = value
    if seen:
        terminalreporter.write_sep("-", "measured, not asserted")
        for value in seen.values():
            terminalreporter.write_line(value)


def make_user(username, role=None, **scope):
    user = User.objects.create_user(username, f"{username}@example.cn", PASSWORD, name=username)
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def make_enterprise(name, district, code, **kwargs):
    defaults = {
        "address": f"厦门市{district.name}测试路1号",
        "contact_name": "联系人",
        "contact_phone": "13800000000",
        "main_products": "测试产品",
    }
    defaults.update(kwargs)
    return Enterprise.objects.create(name=name, credit_code=code, district=district, **defaults)


def make_specialist(username, district, *, status=SpecialistStatus.ACTIVE, fields=("metrology",), **kwargs):
    user = make_user(username)
    specialist = Specialist.objects.create(
        user=user, name=kwargs.pop("name", username), phone="13900000000", district=district, status=status, **kwargs
    )
    for field in fields:
        SpecialistField.objects.create(specialist=specialist, field=field)
    return specialist


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The calendar is cached; a test's rolled-back holidays must not leak into the next."""
    from django.core.cache import cache

    from qiservice.specialists import matching

    cache.clear()
    matching.forget()


@pytest.fixture
def concurrent_db(transactional_db, tmp_path):
    """The test database with real commits, reachable from several threads and processes
    at once (`shared_database_url()` names it for another process).

    PostgreSQL is such a database as it is. SQLite's in-memory test database is not: its
    shared cache answers a second writer with "database table is locked" at once, and no
    other process can open it. On SQLite the test database is therefore copied to a file
    for the test and every new connection pointed at it; the file is opened with the
    project's own SQLite options (WAL, BEGIN IMMEDIATE, a busy timeout), as in production."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    memory = connection.connection  # kept open: it holds the in-memory test database
    path = tmp_path / "concurrency.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    original = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        connection.connection = memory


def shared_database_url():
    """The DATABASE_URL of the test database for another process (under `concurrent_db`)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        assert not connection.is_in_memory_db(), "use the concurrent_db fixture"
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = f"{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}"
    return f"postgres://{settings['USER']}{password}@{host}/{settings['NAME']}"


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    """The named people and their organisations (also used outside fixtures: Hypothesis
    test classes' setUpTestData and threads)."""
    agency = Agency.objects.create(name="厦门市质量基础设施协同服务管理中心")
    jimei = District.objects.create(agency=agency, name="集美区", code="350211")
    siming = District.objects.create(agency=agency, name="思明区", code="350203")
    huli = District.objects.create(agency=agency, name="湖里区", code="350206")
    jimei.neighbours.add(huli)

    metrology = Institution.objects.create(
        name="厦门市计量检定测试院",
        kind="metrology_institute",
        qi_fields=["metrology"],
        district=jimei,
        contact_name="黄",
        contact_phone="0592-1234567",
    )
    ServiceItem.objects.create(institution=metrology, qi_field="metrology", name="计量器具检定校准")
    testing = Institution.objects.create(
        name="厦门市产品质量监督检验院",
        kind="testing_lab",
        qi_fields=["inspection_testing"],
        district=huli,
        contact_name="李",
        contact_phone="0592-7654321",
    )

    ent_jimei = make_enterprise("厦门集美精密机械有限公司", jimei, CODES["ent_jimei"])
    ent_siming = make_enterprise("厦门思明电子科技有限公司", siming, CODES["ent_siming"])
    ent_huli = make_enterprise("厦门湖里食品有限公司", huli, CODES["ent_huli"])

    sp_jimei = make_specialist("sp_jimei", jimei, name="王建华", fields=("metrology", "standardization"))
    sp_siming = make_specialist("sp_siming", siming, name="陈丽", fields=("inspection_testing",))

    people = SimpleNamespace(
        admin=make_user("admin", Role.AGENCY_ADMIN),
        officer_jimei=make_user("officer_jimei", Role.AGENCY_STAFF, district=jimei),
        officer_siming=make_user("officer_siming", Role.AGENCY_STAFF, district=siming),
        specialist=sp_jimei.user,
        specialist_siming=sp_siming.user,
        institution_staff=make_user("inst_staff", Role.INSTITUTION_STAFF, institution=metrology),
        enterprise_user=make_user("ent_user", Role.ENTERPRISE_USER, enterprise=ent_jimei),
        auditor=make_user("auditor", Role.AUDITOR),
        outsider=make_user("outsider"),
    )
    return SimpleNamespace(
        agency=agency,
        jimei=jimei,
        siming=siming,
        huli=huli,
        metrology=metrology,
        testing=testing,
        ent_jimei=ent_jimei,
        ent_siming=ent_siming,
        ent_huli=ent_huli,
        sp_jimei=sp_jimei,
        sp_siming=sp_siming,
        people=people,
    )


@pytest.fixture
def login():
    """login(user) -> a test client with that user's session."""

    def _login(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return _login
