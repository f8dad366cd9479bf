"""Matching for an escalation (8.4.2 b): institutions ranked by QI field, service catalogue
items matching the description, district, current load and past satisfaction, each factor
explained. The pool is small (tens of institutions): everything is computed per request."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.core.choices import QIField

from .models import Institution

WEIGHTS = {"field": 40, "catalogue": 30, "district": 10, "load": 10, "record": 10}
LABELS = {
    "field": gettext_lazy("领域匹配"),
    "catalogue": gettext_lazy("服务目录"),
    "district": gettext_lazy("区域"),
    "load": gettext_lazy("当前负荷"),
    "record": gettext_lazy("服务评价"),
}


@dataclass
class InstitutionCandidate:
    institution: Institution
    score: float = 0.0
    parts: list = field(default_factory=list)  # (label, points, text)

    @property
    def explanation(self):
        return "；".join(f"{label} {points:g}（{text}）" for label, points, text in self.parts)


def rank_institutions(*, categories, description, district, limit=10):
    from qiservice.demands.models import Dispatch
    from qiservice.evaluations.models import Evaluation
    from qiservice.specialists.matching import tokenize

    categories = [c for c in categories or [] if c in QIField.values]
    query = Counter(tokenize(description))
    institutions = list(
        Institution.objects.filter(is_active=True).select_related("district").prefetch_related("service_items")
    )
    load = dict(
        Dispatch.objects.filter(status__in=["pending", "accepted"], demand__status__in=_open())
        .values_list("institution_id")
        .annotate(n=Count("pk"))
        .values_list("institution_id", "n")
    )
    satisfaction = dict(
        Evaluation.objects.filter(demand__escalations__dispatches__status="accepted")
        .values_list("demand__escalations__dispatches__institution_id")
        .annotate(avg=Avg("total"))
        .values_list("demand__escalations__dispatches__institution_id", "avg")
    )
    neighbours = set(district.neighbours.values_list("pk", flat=True)) if district is not None else set()
    busiest = max(load.values(), default=0)
    candidates = []
    for inst in institutions:
        fields = set(inst.qi_fields) | {i.qi_field for i in inst.service_items.all() if i.is_active}
        covered = [c for c in categories if c in fields]
        field_value = len(covered) / len(categories) if categories else 0.0
        items = [i for i in inst.service_items.all() if i.is_active]
        best_item, best_overlap = None, 0.0
        for item in items:
            words = set(tokenize(f"{item.name} {item.description}"))
            overlap = sum(n for t, n in query.items() if t in words) / max(sum(query.values()), 1)
            if overlap > best_overlap:
                best_item, best_overlap = item, overlap
        if district is None:
            district_value, district_text = 0.0, _("未知")
        elif inst.district_id == district.pk:
            district_value, district_text = 1.0, _("同区")
        elif inst.district_id in neighbours:
            district_value, district_text = 0.5, _("相邻区")
        else:
            district_value, district_text = 0.0, _("其他区")
        n = load.get(inst.pk, 0)
        load_value = 1 - n / busiest if busiest else 1.0
        mean = satisfaction.get(inst.pk)
        record_value = float(mean) / 50 if mean is not None else 0.5
        values = {
            "field": (field_value, "、".join(str(QIField(c).label) for c in covered) or _("无重合领域")),
            "catalogue": (best_overlap, best_item.name if best_item else _("无匹配服务项目")),
            "district": (district_value, district_text),
            "load": (load_value, _("在办派单 %(n)d 件") % {"n": n}),
            "record": (record_value, f"{float(mean):.1f}/50" if mean is not None else _("暂无评价")),
        }
        total = sum(WEIGHTS.values())
        parts = [(str(LABELS[k]), round(100 * WEIGHTS[k] * v / total, 2), str(t)) for k, (v, t) in values.items()]
        candidates.append(InstitutionCandidate(inst, round(sum(p[1] for p in parts), 2), parts))
    candidates.sort(key=lambda c: (-c.score, c.institution.pk))
    return candidates[:limit]


def _open():
    from qiservice.demands.choices import OPEN_STATUSES

    return OPEN_STATUSES


def rank_for_escalation(demand, limit=10):
    escalation = demand.escalations.order_by("-reported_at", "-pk").first()
    text = " ".join(filter(None, [demand.description, escalation.needs if escalation else ""]))
    return rank_institutions(categories=demand.categories, description=text, district=demand.district, limit=limit)
