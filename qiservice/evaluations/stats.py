"""Satisfaction figures of a specialist (Appendix C: the mean per item and per specialist),
from aggregate queries."""

from django.db.models import Avg, Count

from qiservice.demands.models import Demand

from .choices import ITEMS, Rating
from .models import Evaluation


def specialist_satisfaction(specialist, user, *, recent=5):
    """Number of evaluations, mean total and mean per item of all the specialist's
    evaluations, and the latest ones among the demands `user` may see."""
    evaluations = Evaluation.objects.filter(specialist=specialist)
    figures = evaluations.aggregate(
        count=Count("pk"), mean_total=Avg("total"), **{f"mean_{name}": Avg(name) for name, _label in ITEMS}
    )
    return {
        "count": figures["count"],
        "mean_total": figures["mean_total"],
        "per_item": [(label, figures[f"mean_{name}"]) for name, label in ITEMS],
        "recent": evaluations.filter(demand__in=Demand.objects.restrict(user, "view").values("pk"))
        .select_related("demand")
        .order_by("-submitted_at", "-pk")[:recent],
    }


def item_scores(evaluation):
    """The five items of an evaluation: (label, score, rating label), in the form's order."""
    return [(label, getattr(evaluation, name), Rating(getattr(evaluation, name)).label) for name, label in ITEMS]
