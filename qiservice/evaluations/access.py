"""Who may do what with a demand's evaluation, and whether a link can still be used.

Read-only questions for the views, the card and the API; `workflow.record_evaluation`
and `workflow.reissue_invitation` check the same things again when they write."""

from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core.visibility import get_scope
from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus
from qiservice.demands.transitions import hasattr_row

from .choices import EvaluationChannel

# The statuses in which the enterprise's evaluation is awaited (8.5 → 8.6.1).
EVALUATION_STATUSES = (DemandStatus.SERVICE_ENDED, DemandStatus.SUMMARY_SUBMITTED)


def awaits_evaluation(demand):
    return demand.status in EVALUATION_STATUSES and not hasattr_row(demand, "evaluation")


def manages_link(user, demand):
    """The assigned specialist, staff of an institution that accepted the demand, and the
    agency for its district may see, show (QR code) and reissue the evaluation link."""
    scope = get_scope(user)
    return workflow.works_on(scope, demand) or workflow.is_agency_for(scope, demand)


def is_enterprise_of(user, demand):
    """A user of the demand's own enterprise: may evaluate from their login."""
    return demand.enterprise_id in get_scope(user).enterprise_ids


def enters_paper(user, demand):
    """The agency for the demand's district types in a paper Appendix C form."""
    return workflow.is_agency_for(get_scope(user), demand)


def channel_for(user, demand):
    """The channel a logged-in user evaluates through: the enterprise's own login, or the
    agency's entry of a paper form; None when they may do neither."""
    if is_enterprise_of(user, demand):
        return EvaluationChannel.PORTAL
    if enters_paper(user, demand):
        return EvaluationChannel.PAPER
    return None


def current_invitation(demand):
    """The demand's usable invitation (not used, revoked or expired), or None."""
    return (
        demand.evaluation_invitations.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def link_problem(invitation):
    """Why a link cannot be used now, in Chinese, or None. The same messages as the rules."""
    demand = invitation.demand
    if invitation.used_at is not None:
        return _("该评价链接已使用过，不能重复评价。")
    if hasattr_row(demand, "evaluation"):
        return _("该需求已评价，每项服务只能评价一次。")
    if invitation.revoked_at is not None:
        return _("该评价链接已作废，请联系服务专员获取新的链接。")
    if invitation.expires_at <= timezone.now():
        return _("该评价链接已过期，请联系服务专员获取新的链接。")
    if demand.status not in EVALUATION_STATUSES:
        return _("该需求当前不在评价阶段。")
    return None


def mask_phone(phone):
    """138****1111: enough for the enterprise to recognise its number, not to read it
    (the one mask of qiservice/core/masking.py)."""
    from qiservice.core.masking import mask_phone as mask

    return mask(phone)
