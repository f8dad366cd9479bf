"""Precise matching (4.1 精准匹配): a ranked, explained list of specialists for a demand.

Each candidate gets five factors, each between 0 and 1:

- field:    the demand's categories the specialist covers, weighted by proficiency;
- district: same district 1, a neighbouring one 0.5;
- load:     the share of their capacity still free;
- record:   on-time rate of their deadlines and mean satisfaction (Appendix C), 0.5 without history;
- text:     BM25 similarity of the demand's description (jieba tokens) to the specialist's
            expertise, qualifications, past demands and summaries, relative to the best candidate.

score = 100 × Σ weightᵢ·factorᵢ / Σ weightᵢ, and the explanation lists each factor's points,
which add up to the score. Suspended, retired and full specialists are excluded, with the reason.

The text index (tokens per specialist, kept in `Specialist.match_tokens`) is held in memory per
process and rebuilt when the pool's version changes, so a ranking over 10 000 specialists
costs a few small queries and a pass over the query's terms.
"""

import logging
import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Avg, Count, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.core.choices import QIField

from .choices import Proficiency, SpecialistStatus
from .models import MatchingWeights, Specialist

logger = logging.getLogger(__name__)

PROFICIENCY_VALUE = {Proficiency.BASIC: 0.5, Proficiency.PROFICIENT: 0.8, Proficiency.EXPERT: 1.0}
FACTORS = ["field", "district", "load", "record", "text"]
FACTOR_LABELS = {
    "field": gettext_lazy("领域匹配"),
    "district": gettext_lazy("区域"),
    "load": gettext_lazy("当前负荷"),
    "record": gettext_lazy("履职记录"),
    "text": gettext_lazy("描述相似度"),
}
_STOP = set("的了和与及或在是为对把被等我们企业需要进行开展相关有关一个希望帮助公司我司")
_WORD = re.compile(r"[\w\u4e00-\u9fff]+")


def tokenize(text):
    """jieba search-mode tokens, lower-cased, without punctuation and stop words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [
        t.lower()
        for t in jieba.cut_for_search(text or "")
        if _WORD.fullmatch(t) and t not in _STOP and not (len(t) == 1 and "\u4e00" <= t <= "\u9fff")
    ]


# --- the text index ------------------------------------------------------------------------

INDEX_VERSION_KEY = "qi:matching-index-version"


def _version():
    return cache.get_or_set(INDEX_VERSION_KEY, lambda: uuid.uuid4().hex, None)


def bump_index_version():
    """Call after the pool changed: tokens, fields, capacity or status (the rules do)."""
    cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, None)


_index = {"version": None, "postings": {}, "lengths": {}, "avgdl": 1.0, "n": 0}


def _current_index():
    """An inverted index (term → {specialist: term frequency}) of the active pool."""
    version = _version()
    if _index["version"] != version:
        postings, lengths = {}, {}
        for pk, tokens in Specialist.objects.filter(status=SpecialistStatus.ACTIVE).values_list("pk", "match_tokens"):
            counts = Counter(tokens.split())
            lengths[pk] = sum(counts.values())
            for term, tf in counts.items():
                postings.setdefault(term, {})[pk] = tf
        avgdl = (sum(lengths.values()) / len(lengths)) if lengths else 1.0
        _index.update(version=version, postings=postings, lengths=lengths, avgdl=avgdl or 1.0, n=len(lengths))
    return _index


def bm25(query_tokens, allowed=None, k1=1.5, b=0.75):
    """BM25 scores of the specialists whose documents share a term with the query."""
    index = _current_index()
    postings, lengths, avgdl, n = index["postings"], index["lengths"], index["avgdl"], max(index["n"], 1)
    scores = {}
    for term in set(query_tokens):
        docs = postings.get(term)
        if not docs:
            continue
        idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
        for pk, tf in docs.items():
            if allowed is not None and pk not in allowed:
                continue
            norm = k1 * (1 - b + b * lengths[pk] / avgdl)
            scores[pk] = scores.get(pk, 0.0) + idf * tf * (k1 + 1) / (tf + norm)
    return scores


def document_tokens(specialist):
    """The words a specialist is matched on: expertise, qualifications, fields, past work."""
    from qiservice.demands.models import Demand, Summary

    parts = [specialist.expertise, specialist.qualifications, specialist.employer, specialist.title]
    with translation.override("zh-hans"):
        parts += [str(QIField(f).label) for f in specialist.fields.values_list("field", flat=True)]
    parts += list(Demand.objects.filter(specialist=specialist).values_list("description", flat=True)[:50])
    for s in Summary.objects.filter(demand__specialist=specialist).values("problems_solved", "methods", "results")[:50]:
        parts += s.values()
    return " ".join(tokenize(" ".join(p for p in parts if p)))


def refresh_tokens(specialist):
    Specialist.objects.filter(pk=specialist.pk).update(match_tokens=document_tokens(specialist))
    bump_index_version()


# --- ranking --------------------------------------------------------------------------------


@dataclass
class Part:
    factor: str
    label: str
    value: float  # 0..1
    weight: float
    points: float  # share of the score
    text: str


@dataclass
class Candidate:
    specialist: Specialist
    score: float = 0.0
    parts: list = field(default_factory=list)
    excluded: str = ""  # why the specialist cannot take the demand now

    @property
    def explanation(self):
        return "；".join(f"{p.label} {p.points:g}（{p.text}）" for p in self.parts)


@dataclass
class Ranking:
    candidates: list
    excluded: list
    weak: str = ""  # why the ranking says little (no categories, no description)


STATS_SECONDS = 30  # how stale the load and record figures of a ranking may be
_stats_memo = {"at": 0.0, "data": None}
_pool_memo = {"version": None, "data": None}


def _stats():
    """Open demands, deadlines met / late and mean satisfaction per specialist: three
    aggregate queries, kept for STATS_SECONDS (assign() re-checks capacity when it writes)."""
    import time

    from qiservice.deadlines.models import Deadline
    from qiservice.demands.choices import OPEN_STATUSES
    from qiservice.demands.models import Demand
    from qiservice.evaluations.models import Evaluation

    if _stats_memo["data"] is not None and time.monotonic() - _stats_memo["at"] < STATS_SECONDS:
        return _stats_memo["data"]
    load = dict(
        Demand.objects.filter(status__in=OPEN_STATUSES, specialist__isnull=False)
        .values_list("specialist_id")
        .annotate(n=Count("pk"))
        .values_list("specialist_id", "n")
    )
    timely = {
        row["demand__specialist_id"]: (row["met"], row["late"])
        for row in Deadline.objects.filter(met_at__isnull=False, demand__specialist__isnull=False)
        .values("demand__specialist_id")
        .annotate(met=Count("pk"), late=Count("pk", filter=Q(overdue_working_days__gt=0)))
    }
    satisfaction = dict(
        Evaluation.objects.filter(specialist__isnull=False)
        .values_list("specialist_id")
        .annotate(avg=Avg("total"))
        .values_list("specialist_id", "avg")
    )
    records = {pk: _record_value(timely.get(pk), satisfaction.get(pk)) for pk in set(timely) | set(satisfaction)}
    _stats_memo.update(at=time.monotonic(), data=(load, timely, satisfaction, records))
    return _stats_memo["data"]


def forget():
    """Drop this process's memos (tests; after bulk changes made outside the rules)."""
    _stats_memo["data"] = None
    _pool_memo["version"] = None
    _index["version"] = None


def _pool():
    """pk → (district_id, capacity, status, {field: proficiency value}) of the pool, kept
    until the pool's version changes."""
    from .models import SpecialistField

    version = _version()
    if _pool_memo["version"] != version:
        pool = {
            pk: (district_id, capacity, status, {})
            for pk, district_id, capacity, status in Specialist.objects.filter(
                status__in=[SpecialistStatus.ACTIVE, SpecialistStatus.SUSPENDED]
            ).values_list("pk", "district_id", "capacity", "status")
        }
        for pk, f, proficiency in SpecialistField.objects.values_list("specialist_id", "field", "proficiency"):
            if pk in pool:
                pool[pk][3][f] = PROFICIENCY_VALUE.get(proficiency, 0.8)
        _pool_memo.update(version=version, data=pool)
    return _pool_memo["data"]


def rank(*, categories, description, district, user=None, limit=10, queryset=None, weights=None):
    """Rank active specialists for a demand's categories, description and district.

    The score of every candidate is computed on plain numbers; only the top `limit` are
    loaded as objects and explained."""
    weights = weights or MatchingWeights.current()
    w = {f: float(getattr(weights, f"{f}_weight")) for f in FACTORS}
    total_weight = sum(w.values()) or 1.0
    categories = [c for c in categories or [] if c in QIField.values]
    query_tokens = tokenize(description)
    weak = []
    if not categories:
        weak.append(_("需求未选择类别"))
    if not query_tokens:
        weak.append(_("需求没有描述"))

    pool = _pool()
    allowed = None
    if queryset is not None:
        allowed = set(queryset.values_list("pk", flat=True))
    if user is not None:
        from qiservice.core.visibility import get_scope

        if not get_scope(user).is_agency_admin:
            visible = set(Specialist.objects.restrict(user).values_list("pk", flat=True))
            allowed = visible if allowed is None else allowed & visible
    load, timely, satisfaction, records = _stats()
    district_id = district.pk if district is not None else None
    neighbours = set(district.neighbours.values_list("pk", flat=True)) if district is not None else set()
    text_scores = bm25(query_tokens, allowed) if query_tokens else {}
    best_text = max(text_scores.values(), default=0.0)
    n_categories = len(categories)

    scored, excluded_ids = [], []
    for pk, (sp_district, capacity, status, proficiency) in pool.items():
        if allowed is not None and pk not in allowed:
            continue
        open_count = load.get(pk, 0)
        if status != SpecialistStatus.ACTIVE or open_count >= capacity:
            excluded_ids.append(pk)
            continue
        field_value = sum(proficiency.get(c, 0.0) for c in categories) / n_categories if n_categories else 0.0
        if district_id is None:
            district_value = 0.0
        elif sp_district == district_id:
            district_value = 1.0
        else:
            district_value = 0.5 if sp_district in neighbours else 0.0
        load_value = 1 - open_count / capacity
        record_value = records.get(pk, 0.5)
        text_value = text_scores.get(pk, 0.0) / best_text if best_text else 0.0
        score = (
            w["field"] * field_value
            + w["district"] * district_value
            + w["load"] * load_value
            + w["record"] * record_value
            + w["text"] * text_value
        )
        scored.append((score, pk))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[:limit] if limit else scored

    objects = Specialist.objects.select_related("district").in_bulk([pk for _s, pk in top] + excluded_ids[:50])
    candidates = [
        _explain(
            objects[pk],
            pool[pk],
            categories,
            district_id,
            neighbours,
            load,
            timely,
            satisfaction,
            w,
            total_weight,
            text_scores.get(pk, 0.0) / best_text if best_text else 0.0,
        )
        for _s, pk in top
    ]
    excluded = []
    for pk in excluded_ids[:50]:
        specialist = objects[pk]
        if specialist.status != SpecialistStatus.ACTIVE:
            reason = _("状态为“%(s)s”") % {"s": specialist.get_status_display()}
        else:
            reason = _("在办 %(n)d 件，已达上限") % {"n": load.get(pk, 0)}
        excluded.append(Candidate(specialist, excluded=reason))
    weak_text = (_("匹配依据不足：%(why)s，仅按区域、负荷和记录排序。") % {"why": "、".join(weak)}) if weak else ""
    return Ranking(candidates, excluded, weak_text)


def _record_value(timely, mean):
    met, late = timely or (0, 0)
    if not met and mean is None:
        return 0.5
    parts = [(met - late) / met] if met else []
    parts += [float(mean) / 50] if mean is not None else []
    return sum(parts) / len(parts)


def _explain(
    specialist, pooled, categories, district_id, neighbours, load, timely, satisfaction, w, total_weight, text_value
):
    """The candidate with its factors in words; the points add up to the score."""
    _district, capacity, _status, proficiency = pooled
    covered = [c for c in categories if c in proficiency]
    field_value = sum(proficiency[c] for c in covered) / len(categories) if categories else 0.0
    if district_id is None:
        district_value, district_text = 0.0, _("未知")
    elif specialist.district_id == district_id:
        district_value, district_text = 1.0, _("同区")
    elif specialist.district_id in neighbours:
        district_value, district_text = 0.5, _("相邻区")
    else:
        district_value, district_text = 0.0, _("其他区")
    open_count = load.get(specialist.pk, 0)
    met, late = timely.get(specialist.pk) or (0, 0)
    mean = satisfaction.get(specialist.pk)
    record_value = _record_value(timely.get(specialist.pk), mean)
    if met or mean is not None:
        record_text = _("按时率 %(t)s，满意度 %(m)s") % {
            "t": f"{(met - late) / met:.0%}" if met else "—",
            "m": f"{float(mean):.1f}/50" if mean is not None else "—",
        }
    else:
        record_text = _("暂无记录")
    values = {
        "field": (field_value, "、".join(str(QIField(c).label) for c in covered) or _("无重合领域")),
        "district": (district_value, district_text),
        "load": (1 - open_count / capacity, _("在办 %(n)d/%(c)d") % {"n": open_count, "c": capacity}),
        "record": (record_value, record_text),
        "text": (text_value, _("相似度 %(v)s") % {"v": f"{text_value:.0%}"}),
    }
    parts = [
        Part(f, str(FACTOR_LABELS[f]), v, w[f], round(100 * w[f] * v / total_weight, 2), str(t))
        for f, (v, t) in values.items()
    ]
    return Candidate(specialist, score=round(sum(p.points for p in parts), 2), parts=parts)


def rank_for_demand(demand, *, user=None, limit=10):
    return rank(
        categories=demand.categories,
        description=demand.description,
        district=demand.district,
        user=user,
        limit=limit,
    )
