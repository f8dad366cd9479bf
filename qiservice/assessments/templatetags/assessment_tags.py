"""`{% demand_return_visits demand %}` for the demand page and
`{% specialist_assessments specialist %}` for the specialist page."""

from django import template

from qiservice.core.visibility import get_scope
from qiservice.demands.choices import DemandStatus
from qiservice.demands.models import Demand

from .. import workflow
from ..models import Assessment, ReturnVisit

register = template.Library()


@register.inclusion_tag("assessments/_detail_return_visits.html", takes_context=True)
def demand_return_visits(context, demand):
    """The return visits of a closed demand, the button to record one (the agency and the
    specialist who served it), and the links between a demand and the one that followed."""
    user = context["request"].user
    visible = Demand.objects.restrict(user, "view")
    # The demand page read whether the demand has follow-ups and visits at all (`has_*`).
    followed_by = []
    if getattr(demand, "has_followers", True):
        followed_by = list(visible.filter(follows=demand).only("pk", "number", "status"))
    follows = visible.filter(pk=demand.follows_id).only("pk", "number").first() if demand.follows_id else None
    is_closed = demand.status == DemandStatus.CLOSED
    visits = []
    if getattr(demand, "has_return_visits", True):
        visits = list(ReturnVisit.objects.filter(demand=demand).select_related("visited_by", "new_demand"))
    return {
        "demand": demand,
        "visits": visits,
        "follows": follows,
        "followed_by": followed_by,
        "may_visit": is_closed and workflow.may_visit(user, demand),
        "visible": is_closed or visits or follows or followed_by,
    }


@register.inclusion_tag("assessments/_specialist_assessments.html", takes_context=True)
def specialist_assessments(context, specialist):
    """The specialist's assessment results the viewer may see (their own only once
    published), newest first."""
    user = context["request"].user
    results = list(
        Assessment.objects.restrict(user)
        .filter(specialist=specialist)
        .select_related("period")
        .order_by("-period__starts_on")[:8]
    )
    scope = get_scope(user)
    return {
        "results": results,
        "is_own": scope.specialist_id == specialist.pk,
        "shown": bool(results) or scope.specialist_id == specialist.pk,
    }
