"""Data scope: each role sees exactly its rows, in the ORM, the UI list and the API."""

import pytest

from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution
from qiservice.specialists.models import Specialist

ROLES = [
    "admin",
    "officer_jimei",
    "officer_siming",
    "specialist",
    "specialist_siming",
    "institution_staff",
    "enterprise_user",
    "auditor",
    "outsider",
]

# Which enterprises each person may view and change.
ENTERPRISES_VIEW = {
    "admin": {"ent_jimei", "ent_siming", "ent_huli"},
    "officer_jimei": {"ent_jimei"},
    "officer_siming": {"ent_siming"},
    "specialist": {"ent_jimei"},
    "specialist_siming": {"ent_siming"},
    "institution_staff": set(),
    "enterprise_user": {"ent_jimei"},
    "auditor": {"ent_jimei", "ent_siming", "ent_huli"},
    "outsider": set(),
}
ENTERPRISES_CHANGE = {**ENTERPRISES_VIEW, "auditor": set()}

SPECIALISTS_VIEW = {
    "admin": {"sp_jimei", "sp_siming"},
    "officer_jimei": {"sp_jimei"},
    "officer_siming": {"sp_siming"},
    "specialist": {"sp_jimei"},
    "specialist_siming": {"sp_siming"},
    "institution_staff": set(),
    "enterprise_user": set(),
    "auditor": {"sp_jimei", "sp_siming"},
    "outsider": set(),
}
SPECIALISTS_CHANGE = {**SPECIALISTS_VIEW, "auditor": set()}

INSTITUTIONS_CHANGE = {role: set() for role in ROLES} | {
    "admin": {"metrology", "testing"},
    "institution_staff": {"metrology"},
}


def names(world, objects):
    by_key = {(type(v), v.pk): n for n, v in vars(world).items() if hasattr(v, "pk")}
    return {by_key[(type(o), o.pk)] for o in objects}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_and_changes_exactly_its_enterprises(world, role):
    user = getattr(world.people, role)
    assert names(world, Enterprise.objects.restrict(user)) == ENTERPRISES_VIEW[role]
    assert names(world, Enterprise.objects.restrict(user, "change")) == ENTERPRISES_CHANGE[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_and_changes_exactly_its_specialists(world, role):
    user = getattr(world.people, role)
    assert names(world, Specialist.objects.restrict(user)) == SPECIALISTS_VIEW[role]
    assert names(world, Specialist.objects.restrict(user, "change")) == SPECIALISTS_CHANGE[role]


@pytest.mark.parametrize("role", ROLES)
def test_institution_pool_is_visible_to_all_and_changed_by_few(world, role):
    user = getattr(world.people, role)
    # Every logged-in account, even one with no role yet, sees the public catalogue.
    expected_view = {"metrology", "testing"}
    assert names(world, Institution.objects.restrict(user)) == expected_view
    assert names(world, Institution.objects.restrict(user, "change")) == INSTITUTIONS_CHANGE[role]


@pytest.mark.parametrize("role", ROLES)
def test_enterprise_list_page_and_api_show_exactly_the_scoped_rows(world, login, role):
    client = login(getattr(world.people, role))
    page = client.get("/enterprises/")
    assert page.status_code == 200
    shown = {n for n in ("ent_jimei", "ent_siming", "ent_huli") if getattr(world, n).name in page.content.decode()}
    assert shown == ENTERPRISES_VIEW[role]

    api = client.get("/api/enterprises?page_size=100")
    assert api.status_code == 200
    ids = {item["id"] for item in api.json()["items"]}
    assert ids == {getattr(world, n).pk for n in ENTERPRISES_VIEW[role]}
    assert api.json()["count"] == len(ENTERPRISES_VIEW[role])


@pytest.mark.parametrize("role", ROLES)
def test_specialist_list_page_and_api_show_exactly_the_scoped_rows(world, login, role):
    client = login(getattr(world.people, role))
    api = client.get("/api/specialists")
    assert {item["id"] for item in api.json()["items"]} == {getattr(world, n).pk for n in SPECIALISTS_VIEW[role]}
    page = client.get("/specialists/").content.decode()
    assert {n for n in ("sp_jimei", "sp_siming") if getattr(world, n).name in page} == SPECIALISTS_VIEW[role]


def test_anonymous_visitor_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Enterprise.objects.restrict(AnonymousUser()).exists()
    assert not Institution.objects.restrict(AnonymousUser()).exists()
    assert not Specialist.objects.restrict(AnonymousUser()).exists()


def test_a_user_with_two_roles_gets_the_union_of_both_scopes(world):
    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import RoleAssignment

    user = world.people.officer_jimei
    RoleAssignment.objects.create(user=user, role=Role.AGENCY_STAFF, district=world.siming)
    user = type(user).objects.get(pk=user.pk)  # a fresh object: the scope is cached per object
    assert names(world, Enterprise.objects.restrict(user)) == {"ent_jimei", "ent_siming"}


def test_a_deactivated_user_sees_nothing(world):
    user = world.people.admin
    user.is_active = False
    user.save()
    user = type(user).objects.get(pk=user.pk)
    assert not Enterprise.objects.restrict(user).exists()
