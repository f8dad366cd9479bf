"""The indicators of an assessment as rows for the pages and the API: label, the figure
from the records, and its 0–100 score."""

from django.utils.translation import gettext_lazy as _

from qiservice.deadlines.choices import Stage

LABELS = {
    "collected": _("收集需求数"),
    "closed": _("办结需求数"),
    "on_time": _("按时完成率"),
    "overdue_days": _("逾期工作日"),
    "satisfaction": _("平均满意度（满分50）"),
    "cases": _("入库典型案例"),
    "training": _("本年培训学时"),
    "declined": _("拒绝指派次数"),
    "complaints": _("有效投诉次数"),
    "supervisor": _("评议打分"),
}


def _figure(name, raw, assessment):
    if name == "on_time":
        due = raw.get("deadlines_due", 0)
        if not due:
            return "—"
        return f"{raw.get('deadlines_on_time', 0)} / {due}（{100 * raw.get('deadlines_on_time', 0) / due:.0f}%）"
    if name == "satisfaction":
        mean = raw.get("satisfaction_mean")
        if mean is None:
            return str(_("无评价"))
        return _("%(mean).1f（%(n)d 次评价）") % {"mean": mean, "n": raw.get("evaluations", 0)}
    if name == "cases":
        return str(raw.get("cases_approved", 0))
    if name == "training":
        return _("%(hours)s / %(due)s（全年要求 %(year)s）") % {
            "hours": f"{raw.get('training_hours_year', 0):g}",
            "due": f"{raw.get('training_required_to_date', 0):g}",
            "year": raw.get("training_required", 0),
        }
    if name == "supervisor":
        return "—" if assessment.supervisor_score is None else str(assessment.supervisor_score)
    return str(raw.get(name, 0))


def indicator_rows(assessment, weights):
    raw = assessment.indicators or {}
    scores = assessment.scores or {}
    return [
        {
            "key": name,
            "label": str(label),
            "figure": str(_figure(name, raw, assessment)),
            "score": scores.get(name),
            "weight": weights.get(name, 0),
        }
        for name, label in LABELS.items()
    ]


def stage_rows(assessment):
    """On-time figures per stage: (stage label, on time, due)."""
    by_stage = (assessment.indicators or {}).get("on_time_by_stage", {})
    return [(Stage(stage).label, met, due) for stage, (met, due) in sorted(by_stage.items())]
