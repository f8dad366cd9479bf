"""`{% demand_downloads demand %}`: the 打印/下载 menu of the demand page."""

from django import template

from .. import services

register = template.Library()


@register.inclusion_tag("documents/_demand_downloads.html", takes_context=True)
def demand_downloads(context, demand):
    """The forms of this demand that exist and that the viewer may download, each as Word
    and PDF; nothing for a user who may not see the demand."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"forms": []}
    viewer = context.get("viewer")  # the demand page's: who the user is to this demand
    if getattr(viewer, "demand", None) is not demand or viewer.user != user:
        from qiservice.demands.models import Demand

        if not Demand.objects.restrict(user).filter(pk=demand.pk).exists():
            return {"forms": []}
        viewer = None
    return {"demand": demand, "forms": services.available(user, demand, viewer)}
