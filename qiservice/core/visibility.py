"""Data scope: who may see and change which rows.

`get_scope(user)` reads a user's roles once per request into a `Scope`; each model's
queryset implements ``visible_to(scope, action)`` and is reached through
``Model.objects.restrict(user, action)``. Every view, form choice list, export and API
endpoint looks business rows up that way, so an out-of-scope id is simply not found (404).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    roles: frozenset = frozenset()
    district_ids: frozenset = frozenset()  # agency staff: the districts they work for
    institution_ids: frozenset = frozenset()  # institution staff: their institutions
    enterprise_ids: frozenset = frozenset()  # enterprise users: their enterprises
    specialist_id: int | None = None
    specialist_district_id: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_authenticated(self):
        return self.user_id is not None

    def has(self, role):
        return role in self.roles

    @property
    def is_agency_admin(self):
        return "agency_admin" in self.roles

    @property
    def is_agency_staff(self):
        return "agency_staff" in self.roles

    @property
    def is_auditor(self):
        return "auditor" in self.roles

    @property
    def is_specialist(self):
        return self.specialist_id is not None

    @property
    def sees_everything(self):
        """Agency admins and read-only auditors may view every row."""
        return self.is_agency_admin or self.is_auditor

    @property
    def is_agency(self):
        return self.is_agency_admin or self.is_agency_staff

    @property
    def is_enterprise_only(self):
        """An enterprise contact and nothing else: they follow their demands in the portal,
        which shows what the enterprise may see (no internal notes, ledger, preparation)."""
        return bool(self.enterprise_ids) and not (
            self.is_agency or self.is_auditor or self.is_specialist or self.institution_ids
        )


ANONYMOUS = Scope()


def get_scope(user):
    """The user's scope, computed once and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_qi_scope", None)
    if cached is not None:
        return cached
    from qiservice.accounts.models import User

    # One query: the user's role rows and their specialist record (a user is at most one
    # specialist), joined; a user without roles still gives one row of NULLs.
    rows = User.objects.filter(pk=user.pk).values_list(
        "role_assignments__role",
        "role_assignments__district_id",
        "role_assignments__institution_id",
        "role_assignments__enterprise_id",
        "specialist__pk",
        "specialist__district_id",
    )
    roles, districts, institutions, enterprises = set(), set(), set(), set()
    specialist = None
    for role, district_id, institution_id, enterprise_id, specialist_id, specialist_district_id in rows:
        if specialist_id is not None:
            specialist = (specialist_id, specialist_district_id)
        if role is None:
            continue
        roles.add(role)
        if district_id and role == "agency_staff":
            districts.add(district_id)
        if institution_id and role == "institution_staff":
            institutions.add(institution_id)
        if enterprise_id and role == "enterprise_user":
            enterprises.add(enterprise_id)
    if user.is_superuser:
        roles.add("agency_admin")
    if specialist:
        roles.add("specialist")
    scope = Scope(
        user_id=user.pk,
        roles=frozenset(roles),
        district_ids=frozenset(districts),
        institution_ids=frozenset(institutions),
        enterprise_ids=frozenset(enterprises),
        specialist_id=specialist[0] if specialist else None,
        specialist_district_id=specialist[1] if specialist else None,
    )
    user._qi_scope = scope
    return scope


def forget_scope(user):
    """Drop the cached scope after the user's roles changed."""
    if hasattr(user, "_qi_scope"):
        del user._qi_scope
