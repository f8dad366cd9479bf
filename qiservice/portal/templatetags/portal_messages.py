"""The enterprise's messages on the staff demand page:
`{% load portal_messages %}{% demand_messages demand %}` (only for those who may read them)."""

from django import template
from django.utils.translation import gettext as _

from qiservice.core.visibility import get_scope

from ..choices import MessageSide
from ..forms import MessageForm
from ..models import Message
from ..workflow import side_of

register = template.Library()


@register.inclusion_tag("portal/_service_messages.html", takes_context=True)
def demand_messages(context, demand):
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"shown": False}
    rows = []
    if getattr(demand, "has_messages", True):  # the demand page read whether there are any
        rows = list(
            Message.objects.restrict(user).filter(demand=demand).select_related("author").order_by("created_at", "pk")
        )
    side = side_of(user, demand)
    if side == MessageSide.ENTERPRISE:
        return {"shown": False}  # the enterprise's users talk on their portal page
    may_answer = side == MessageSide.SERVICE
    if not rows and not may_answer:
        return {"shown": False}
    scope = get_scope(user)
    return {
        "shown": True,
        "demand": demand,
        "rows": rows,
        "unread": sum(1 for m in rows if m.is_from_enterprise and m.read_at is None),
        "may_answer": may_answer,
        "read_only": not may_answer and scope.is_auditor,
        "form": MessageForm(placeholder=_("回复服务对象（对方将在企业门户和消息中看到）")) if may_answer else None,
        "csrf_token": context.get("csrf_token"),
    }
