"""Who may read the statistics, and of which districts.

The agency admin and the read-only auditor see the whole city and may pick a district.
District staff see their own districts only: the filter is forced, and a district that is
not theirs is not found (404, as any out-of-scope row). Everyone else gets a 403: the
statistics are the agency's supervision tool (4.2), not a page of theirs.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from qiservice.accounts.models import District
from qiservice.core.visibility import get_scope

from .stats import View


def may_read(user):
    scope = get_scope(user)
    return scope.sees_everything or scope.is_agency_staff


def districts_for(user):
    """The districts the user may choose from (the filter's options)."""
    scope = get_scope(user)
    districts = District.objects.order_by("code")
    return districts if scope.sees_everything else districts.filter(pk__in=scope.district_ids)


def report_view(user, district_param):
    """The View (districts covered) for this user and the requested district."""
    scope = get_scope(user)
    if not may_read(user):
        raise PermissionDenied
    district = None
    if district_param not in (None, ""):
        try:
            district = districts_for(user).filter(pk=int(district_param)).first()
        except (TypeError, ValueError):
            district = None
        if district is None:
            raise Http404
    if scope.sees_everything:
        return View(district_ids=(district.pk,) if district else None, district=district)
    if district is not None:
        return View(district_ids=(district.pk,), district=district)
    ids = tuple(sorted(scope.district_ids))
    only = District.objects.filter(pk=ids[0]).first() if len(ids) == 1 else None
    return View(district_ids=ids, district=only)
