"""Deadlines in pages: `{% load deadlines %}{% demand_deadlines demand %}` on the demand page,
`{{ demand|deadline_badge }}` in lists (with `open_deadlines` prefetched by the view)."""

from operator import attrgetter

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qiservice.core.choices import labels_of

from ..choices import Stage
from ..models import Deadline

register = template.Library()


def _badge(deadline, today):
    if deadline is None:
        return ""
    stage = labels_of(Stage).get(deadline.stage, deadline.stage)
    if deadline.due_on < today:
        return format_html(
            '<span class="badge text-bg-danger" title="{}">{}</span>',
            stage,
            _("逾期 %(d)s") % {"d": deadline.due_on.isoformat()},
        )
    if deadline.remind_on and deadline.remind_on <= today:
        return format_html(
            '<span class="badge text-bg-warning" title="{}">{}</span>',
            stage,
            _("临近 %(d)s") % {"d": deadline.due_on.isoformat()},
        )
    return format_html(
        '<span class="badge text-bg-light border" title="{}">{}</span>',
        stage,
        _("到期 %(d)s") % {"d": deadline.due_on.isoformat()},
    )


@register.filter
def deadline_badge(demand):
    """The demand's nearest open deadline as a badge (overdue red, near yellow)."""
    rows = getattr(demand, "open_deadlines", None)
    if rows is None:
        rows = list(Deadline.objects.open().filter(demand=demand).order_by("due_on")[:1])
    return _badge(rows[0] if rows else None, timezone.localdate())


@register.inclusion_tag("deadlines/_demand_deadlines.html")
def demand_deadlines(demand):
    today = timezone.localdate()
    # A demand has a handful of deadlines: sorted here, an ORDER BY costs Django more to write.
    rows = sorted(Deadline.objects.filter(demand=demand).order_by(), key=attrgetter("started_on", "pk"))
    return {
        "rows": [
            {
                "deadline": d,
                "stage": Stage(d.stage).label,  # get_stage_display translates every choice to find one
                "overdue": d.is_overdue(today),
                "open": d.met_at is None and d.cancelled_at is None,
            }
            for d in rows
        ],
    }
