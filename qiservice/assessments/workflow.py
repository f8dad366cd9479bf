"""The rules of performance assessment (8.6.2), improvement actions (8.6.3) and return
visits. Every write of this app goes through one of these functions: inside a
transaction, checking who may do it, writing the audit log. A refusal raises
`AssessmentError` with a Chinese message and writes nothing."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.visibility import get_scope
from qiservice.demands import workflow as demand_workflow
from qiservice.demands.choices import DemandSource, DemandStatus
from qiservice.demands.models import Demand
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from . import indicators, scoring
from .choices import PERIOD_TRANSITIONS, ActionStatus, PeriodKind, PeriodStatus, VisitMethod
from .models import Assessment, AssessmentPeriod, AssessmentWeights, ImprovementAction, ReturnVisit


class AssessmentError(ValidationError):
    """A refused action: the message says why, in Chinese; nothing was written."""


def _require(condition, message):
    if not condition:
        raise AssessmentError(message)


def _admin(by):
    _require(get_scope(by).is_agency_admin, _("只有管理机构管理员可以执行此操作。"))


def _text(value, label):
    value = (value or "").strip()
    _require(value, _("请填写“%(field)s”。") % {"field": label})
    return value


def period_dates(kind, year, quarter=None):
    """(first day, last day, name) of a quarter or a year."""
    if kind == PeriodKind.YEAR:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31), _("%(year)d年度") % {"year": year}
    first_month = 3 * (quarter - 1) + 1
    start = datetime.date(year, first_month, 1)
    end = (
        datetime.date(year, 12, 31)
        if quarter == 4
        else datetime.date(year, first_month + 3, 1) - datetime.timedelta(days=1)
    )
    return start, end, _("%(year)d年第%(quarter)d季度") % {"year": year, "quarter": quarter}


# --- periods ---------------------------------------------------------------------------------


@transaction.atomic
def open_period(*, kind, year, quarter=None, by, today=None):
    """The agency admin opens a quarter's or a year's assessment; every active specialist
    gets an assessment with the indicators computed from the records."""
    _admin(by)
    _require(kind in PeriodKind.values, _("请选择评估周期（季度或年度）。"))
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    _require(2000 <= year <= 2100, _("请填写正确的年度。"))
    if kind == PeriodKind.QUARTER:
        try:
            quarter = int(quarter)
        except (TypeError, ValueError):
            quarter = 0
        _require(1 <= quarter <= 4, _("请选择季度（1–4）。"))
    else:
        quarter = None
    start, end, name = period_dates(kind, year, quarter)
    today = today or timezone.localdate()
    _require(start <= today, _("评估周期尚未开始，不能发起评估。"))
    exists = AssessmentPeriod.objects.filter(kind=kind, year=year, quarter=quarter).exists()
    _require(not exists, _("“%(name)s”的绩效评估已发起，不能重复发起。") % {"name": name})
    try:
        with transaction.atomic():
            period = AssessmentPeriod.objects.create(
                name=name, kind=kind, year=year, quarter=quarter, starts_on=start, ends_on=end, opened_by=by
            )
    except IntegrityError:
        raise AssessmentError(_("“%(name)s”的绩效评估已发起，不能重复发起。") % {"name": name}) from None
    audit.record(AuditEvent.CREATED, period, actor=by, changes=audit.snapshot(period))
    _compute(period, today=today)
    return period


def _compute(period, today=None):
    """Give every active specialist an assessment and (re)compute all indicators."""
    active = list(Specialist.objects.filter(status=SpecialistStatus.ACTIVE).only("pk", "name"))
    have = set(period.assessments.values_list("specialist_id", flat=True))
    Assessment.objects.bulk_create(Assessment(period=period, specialist=s) for s in active if s.pk not in have)
    rows = list(period.assessments.select_related("specialist"))
    figures = indicators.compute([a.specialist for a in rows], period.starts_on, period.ends_on, today=today)
    now = timezone.now()
    for row in rows:
        row.indicators = figures[row.specialist_id]
        row.computed_at = now
    _write(rows, ["indicators", "computed_at"])
    period.computed_at = now
    period.save(update_fields=["computed_at"])
    _refresh_totals(period)


def _write(rows, names):
    """Store these fields of a period's assessments in one executemany: Django's
    bulk_update spends seconds building CASE expressions for a pool of thousands
    (bench/bench_assessments.py). Values are prepared by the fields themselves."""
    meta = Assessment._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values as parameters
        quote(meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields), quote(meta.pk.column)
    )
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk] for row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _refresh_totals(period, weights=None):
    """Scores, totals, grades and ranks of a period's assessments from their stored
    indicators, the supervisors' scores and the current weights."""
    weights = weights or AssessmentWeights.current()
    rows = list(period.assessments.select_related("specialist"))
    best = scoring.best_counts(r.indicators for r in rows)
    for row in rows:
        row.scores = scoring.normalise(row.indicators, best, row.supervisor_score)
        row.total = scoring.total(row.scores, weights.weights)
        row.grade = scoring.grade(row.total, weights.thresholds)
    ranks = scoring.ranking([(r.pk, r.total, r.specialist.name) for r in rows])
    for row in rows:
        row.rank = ranks[row.pk]
    _write(rows, ["scores", "total", "grade", "rank"])


@transaction.atomic
def recompute(period, *, by, today=None):
    """While a period is open, the indicators follow the records on demand."""
    _admin(by)
    period = AssessmentPeriod.objects.select_for_update().get(pk=period.pk)
    _require(period.status == PeriodStatus.OPEN, _("评估周期已评分定稿，指标不再重新计算。"))
    _compute(period, today=today)
    audit.record(AuditEvent.UPDATED, period, actor=by, extra={"what": "recompute"})
    return period


@transaction.atomic
def advance(period, *, by, today=None):
    """open → scored (the indicators are computed a last time and frozen) → published
    (each specialist sees their own result) → closed."""
    _admin(by)
    period = AssessmentPeriod.objects.select_for_update().get(pk=period.pk)
    to_status = PERIOD_TRANSITIONS.get(period.status)
    _require(to_status is not None, _("评估周期已结束。"))
    now = timezone.now()
    if to_status == PeriodStatus.SCORED:
        today = today or timezone.localdate()
        _require(period.ends_on < today, _("评估周期尚未结束，不能评分定稿。"))
        _compute(period, today=today)
    if to_status == PeriodStatus.PUBLISHED:
        if AssessmentWeights.current().supervisor:
            missing = period.assessments.filter(supervisor_score__isnull=True).count()
            _require(not missing, _("还有 %(n)d 名服务专员未评议打分，不能公布。") % {"n": missing})
        period.published_at = now
    if to_status == PeriodStatus.CLOSED:
        period.closed_at = now
    from_status = period.status
    period.status = to_status
    period.save()
    audit.record(AuditEvent.TRANSITION, period, actor=by, changes={"status": [from_status, to_status]})
    return period


# --- scoring -------------------------------------------------------------------------------


def parse_score(value):
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not score.is_finite() or not (0 <= score <= 100):
        return None
    return score.quantize(Decimal("0.1"))


@transaction.atomic
def score(assessment, *, by, supervisor_score, comments="", is_flagged=False, flag_reason=""):
    """The supervisor (the agency admin, or the staff of the specialist's district) scores
    a result 0–100 with comments, and may flag items to improve."""
    _require(
        Assessment.objects.restrict(by, "change").filter(pk=assessment.pk).exists(),
        _("您无权评议该服务专员。"),
    )
    assessment = Assessment.objects.select_for_update().select_related("period").get(pk=assessment.pk)
    _require(
        assessment.period.status in (PeriodStatus.OPEN, PeriodStatus.SCORED),
        _("评估结果已公布，不能再修改评议。"),
    )
    value = parse_score(supervisor_score)
    _require(value is not None, _("评议打分应为 0 到 100 之间的数字。"))
    flag_reason = (flag_reason or "").strip()
    if is_flagged:
        _require(flag_reason, _("请填写需改进的事项。"))
    before = audit.snapshot(assessment)
    assessment.supervisor_score = value
    assessment.supervisor_comments = (comments or "").strip()
    assessment.is_flagged = bool(is_flagged)
    assessment.flag_reason = flag_reason if is_flagged else ""
    assessment.scored_by = by
    assessment.scored_at = timezone.now()
    assessment.save()
    _refresh_totals(assessment.period)
    assessment.refresh_from_db()
    audit.record(AuditEvent.UPDATED, assessment, actor=by, changes=audit.diff(before, audit.snapshot(assessment)))
    return assessment


@transaction.atomic
def acknowledge(assessment, *, by, comment=""):
    """The specialist acknowledges their published result, with a comment if they wish
    (the comment may be changed until the period is closed)."""
    scope = get_scope(by)
    assessment = Assessment.objects.select_for_update().select_related("period").get(pk=assessment.pk)
    _require(scope.specialist_id == assessment.specialist_id, _("只有本人可以确认评估结果。"))
    _require(assessment.period.status == PeriodStatus.PUBLISHED, _("评估结果未公布或评估周期已结束，不能确认。"))
    before = audit.snapshot(assessment)
    if assessment.acknowledged_at is None:
        assessment.acknowledged_at = timezone.now()
    assessment.specialist_comment = (comment or "").strip()
    assessment.save(update_fields=["acknowledged_at", "specialist_comment"])
    audit.record(AuditEvent.UPDATED, assessment, actor=by, changes=audit.diff(before, audit.snapshot(assessment)))
    return assessment


@transaction.atomic
def save_weights(weights, *, by, expected_updated_at=None):
    """The admin's weights and grade thresholds; all-zero weights are refused. The open
    and scored periods are re-totalled; published results keep their totals."""
    _admin(by)
    weights.full_clean()
    weights.updated_by = by
    save_audited(weights, by=by, expected_updated_at=expected_updated_at)
    for period in AssessmentPeriod.objects.filter(status__in=[PeriodStatus.OPEN, PeriodStatus.SCORED]):
        _refresh_totals(period, weights)
    return weights


# --- improvement actions (8.6.3) ------------------------------------------------------------


@transaction.atomic
def add_action(assessment, *, by, description, due_on, owner=None):
    """An improvement action for a low or flagged result; the owner defaults to the
    specialist themself."""
    _require(
        Assessment.objects.restrict(by, "change").filter(pk=assessment.pk).exists(),
        _("您无权为该服务专员提出改进措施。"),
    )
    assessment = Assessment.objects.select_for_update().select_related("specialist__user").get(pk=assessment.pk)
    _require(assessment.is_low, _("只有等级为合格及以下、或被标记需改进的评估结果才需提出改进措施。"))
    owner = owner or assessment.specialist.user
    _require(due_on is not None, _("请填写完成期限。"))
    action = ImprovementAction.objects.create(
        assessment=assessment,
        owner=owner,
        description=_text(description, _("改进措施")),
        due_on=due_on,
        created_by=by,
    )
    audit.record(AuditEvent.CREATED, action, actor=by, changes=audit.snapshot(action))
    return action


@transaction.atomic
def follow_up_action(action, *, by, status, follow_up="", completed_on=None, expected_updated_at=None):
    """The owner or the agency records the follow-up; done needs a completion date."""
    _require(
        ImprovementAction.objects.restrict(by, "change").filter(pk=action.pk).exists(),
        _("您无权跟踪该改进措施。"),
    )
    action = ImprovementAction.objects.get(pk=action.pk)
    _require(status in ActionStatus.values, _("请选择状态。"))
    if status == ActionStatus.DONE:
        completed_on = completed_on or timezone.localdate()
        _require(completed_on <= timezone.localdate(), _("完成日期不能晚于今天。"))
    else:
        completed_on = None
    action.status = status
    action.follow_up = (follow_up or "").strip()
    action.completed_on = completed_on
    return save_audited(action, by=by, expected_updated_at=expected_updated_at)


def previous_actions(assessment):
    """The improvement actions of the specialist's earlier periods, for the next period's
    page: what was asked and whether it was done."""
    return (
        ImprovementAction.objects.filter(
            assessment__specialist_id=assessment.specialist_id,
            assessment__period__ends_on__lt=assessment.period.starts_on,
        )
        .select_related("assessment__period", "owner")
        .order_by("-assessment__period__ends_on", "due_on", "pk")
    )


# --- return visits ---------------------------------------------------------------------------

SOURCE_OF_METHOD = {
    VisitMethod.PHONE: DemandSource.PHONE,
    VisitMethod.ONSITE: DemandSource.ONSITE,
    VisitMethod.OTHER: DemandSource.OTHER,
}


def may_visit(user, demand):
    """The agency for the demand's district and the specialist who served it."""
    scope = get_scope(user)
    return demand_workflow.is_agency_for(scope, demand) or (
        scope.is_specialist and demand.specialist_id == scope.specialist_id
    )


@transaction.atomic
def record_return_visit(
    demand,
    *,
    by,
    method,
    enterprise_feedback,
    visited_on=None,
    further_needs="",
    satisfaction_remark="",
    start_demand=False,
    categories=None,
):
    """回访 after a demand closed. With `start_demand`, the further needs are registered as
    a new demand (through the demand rules) that follows the old one."""
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    _require(may_visit(by, demand), _("只有管理机构或承办的服务专员可以回访。"))
    _require(demand.status == DemandStatus.CLOSED, _("只有已办结的需求才能回访。"))
    _require(method in VisitMethod.values, _("请选择回访方式。"))
    today = timezone.localdate()
    visited_on = visited_on or today
    _require(visited_on <= today, _("回访日期不能晚于今天。"))
    if demand.closed_at:
        _require(visited_on >= timezone.localdate(demand.closed_at), _("回访日期不能早于办结日期。"))
    further_needs = (further_needs or "").strip()
    if start_demand:
        _require(further_needs, _("登记新需求前，请填写企业的后续需求。"))
    visit = ReturnVisit(
        demand=demand,
        visited_on=visited_on,
        visited_by=by,
        method=method,
        enterprise_feedback=_text(enterprise_feedback, _("企业反馈")),
        further_needs=further_needs,
        satisfaction_remark=(satisfaction_remark or "").strip(),
    )
    if start_demand:
        new = demand_workflow.register_demand(
            enterprise=demand.enterprise,
            categories=categories or demand.categories,
            source=SOURCE_OF_METHOD[method],
            contact_name=demand.contact_name,
            contact_phone=demand.contact_phone,
            contact_email=demand.contact_email,
            address=demand.address,
            description=further_needs,
            collected_on=visited_on,
            by=by,
        )
        Demand.objects.filter(pk=new.pk).update(follows=demand)
        new.follows = demand
        audit.record(
            AuditEvent.UPDATED, new, actor=by, changes={"follows": [None, demand.pk]}, extra={"follows": demand.number}
        )
        visit.new_demand = new
    visit.save()
    audit.record(AuditEvent.CREATED, visit, actor=by, changes=audit.snapshot(visit))
    return visit
