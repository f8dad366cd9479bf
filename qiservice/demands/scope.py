"""Widen the enterprise and specialist scopes with the demands people work on.

Subqueries (not joins), so the widened querysets keep one row per object."""

from django.db.models import Q

from qiservice.enterprises.models import ENTERPRISE_SCOPE_EXTENSIONS
from qiservice.specialists.models import SPECIALIST_SCOPE_EXTENSIONS

from .choices import DispatchStatus

LIVE_DISPATCH = [DispatchStatus.PENDING, DispatchStatus.ACCEPTED]


def _dispatched_demands(scope):
    from .models import Dispatch

    return Dispatch.objects.filter(institution_id__in=scope.institution_ids, status__in=LIVE_DISPATCH).values(
        "demand_id"
    )


def enterprises_of_my_demands(scope, action):
    from .models import Demand, TaskTarget

    q = Q(pk__in=[])
    if scope.is_specialist:
        # Enterprises the specialist serves, and the targets of their special tasks.
        q |= Q(pk__in=Demand.objects.filter(specialist_id=scope.specialist_id).values("enterprise_id"))
        q |= Q(pk__in=TaskTarget.objects.filter(specialist_id=scope.specialist_id).values("enterprise_id"))
    if scope.institution_ids and action == "view":
        q |= Q(pk__in=Demand.objects.filter(pk__in=_dispatched_demands(scope)).values("enterprise_id"))
    return q


def specialists_on_my_demands(scope, action):
    from .models import Demand

    q = Q(pk__in=[])
    if action != "view":
        return q
    if scope.enterprise_ids:
        q |= Q(pk__in=Demand.objects.filter(enterprise_id__in=scope.enterprise_ids).values("specialist_id"))
    if scope.institution_ids:
        q |= Q(pk__in=Demand.objects.filter(pk__in=_dispatched_demands(scope)).values("specialist_id"))
    return q


ENTERPRISE_SCOPE_EXTENSIONS.append(enterprises_of_my_demands)
SPECIALIST_SCOPE_EXTENSIONS.append(specialists_on_my_demands)
