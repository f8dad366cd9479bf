"""`{% demand_evaluation demand %}`: the evaluation card of the demand page."""

from django import template

from qiservice.demands.models import Demand
from qiservice.demands.transitions import hasattr_row

from .. import access
from ..choices import Rating
from ..stats import item_scores
from ..views import public_url

register = template.Library()

# The colour of each rating's button and badge.
RATING_STYLES = {
    Rating.VERY_SATISFIED: "success",
    Rating.SATISFIED: "primary",
    Rating.NEUTRAL: "secondary",
    Rating.DISSATISFIED: "danger",
}


@register.filter
def rating_style(value):
    try:
        return RATING_STYLES.get(int(value), "secondary")
    except (TypeError, ValueError):
        return "secondary"


@register.filter
def mask_phone(value):
    return access.mask_phone(value)


@register.inclusion_tag("evaluations/_card.html", takes_context=True)
def demand_evaluation(context, demand):
    """The evaluation when there is one; otherwise, to those who may act, the link and QR
    code with its expiry and a reissue button, the enterprise's button to evaluate from its
    login, and the agency's entry of a paper form. Nothing for a user outside the demand's
    scope."""
    request = context["request"]
    user = request.user
    card = {"demand": demand, "csrf_token": context.get("csrf_token"), "visible": False}
    viewer = context.get("viewer")  # the demand page's, which read the demand through the user's scope
    in_scope = getattr(viewer, "demand", None) is demand and viewer.user == user
    if not in_scope and not Demand.objects.restrict(user, "view").filter(pk=demand.pk).exists():
        return card
    evaluation = demand.evaluation if hasattr_row(demand, "evaluation") else None
    # After the service ended the card stays, even when the demand closed unevaluated.
    card["visible"] = evaluation is not None or demand.service_ended_at is not None
    if evaluation is not None:
        card.update(evaluation=evaluation, items=item_scores(evaluation))
        return card
    card["awaits"] = demand.status in access.EVALUATION_STATUSES
    if not card["visible"] or not card["awaits"]:
        return card
    manages = access.manages_link(user, demand)
    invitation = access.current_invitation(demand) if manages else None
    card.update(
        manages_link=manages,
        invitation=invitation,
        link=public_url(request, invitation) if invitation else "",
        latest=demand.evaluation_invitations.order_by("-created_at", "-pk").first() if manages else None,
        may_evaluate=access.is_enterprise_of(user, demand),
        enters_paper=access.enters_paper(user, demand),
    )
    return card
