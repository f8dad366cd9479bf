"""The demand page (/demands/<pk>/): the records of a demand, the actions the viewer may
take now, every action's form as its own phone-friendly page, and attachments.

The page offers only what the transition table (`transitions.py`) and the rules allow the
viewer now; a transition whose requirement is missing shows what is missing instead. Every
form carries the demand's version: when someone else changed the demand in between, the
rules refuse, and the form is shown again with what was typed and the message. Every write
goes through a rules function of `workflow.py`.
"""

from functools import cached_property
from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from qiservice.core import audit
from qiservice.core.choices import QIField
from qiservice.core.masking import annotate_contact, can_see_contact, shown
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist

from .. import timeline, workflow
from .. import transitions as T
from ..choices import AssignmentStatus, DemandStatus, DispatchStatus, NoteKind, RiskKind, ServiceMode
from ..forms import actions as F
from ..models import Demand, Dispatch, LedgerEntry, Milestone


def quarter_class(progress):
    """Bootstrap's width utility nearest to a percentage (no inline styles: CSP)."""
    quarter = max(0, min(round((progress or 0) / 25), 4))
    return ["", "w-25", "w-50", "w-75", "w-100"][quarter]


class Viewer:
    """What the viewing user is to the demand and may do on it now, read once per request.
    The rules functions check the same things again when they write."""

    def __init__(self, user, demand, facts=None):
        self.user = user
        self.demand = demand
        self.scope = scope = get_scope(user)
        self.facts = facts = facts or T.Facts.of(demand)
        self.is_agency = T.agency(scope, demand, facts)
        self.is_specialist = T.assigned_specialist(scope, demand, facts)
        self.is_institution = T.accepted_institution(scope, demand, facts)
        self.is_pending_institution = T.pending_institution(scope, demand, facts)
        self.is_enterprise = T.enterprise(scope, demand, facts)
        self.works_on = self.is_specialist or self.is_institution
        self.is_open = demand.is_open
        self.sees_internal = timeline.sees_internal(scope, demand, facts)

    @cached_property
    def assignment(self):
        """The demand's current assignment (the latest), or None."""
        return self.demand.assignments.select_related("specialist").order_by("-assigned_at", "-pk").first()

    @cached_property
    def transitions(self):
        """(transition, missing requirement or None) for each action the viewer may take."""
        rows = T.available_actions(self.scope, self.demand, self.facts)
        return [(row, row.missing(self.demand, self.facts)) for row in rows]

    def refusal(self, action):
        """Why the viewer may not take `action` now (in Chinese), or None when they may."""
        row = T.TRANSITIONS[action]
        for available, missing in self.transitions:
            if available.action == action:
                return missing
        demand = self.demand
        if demand.status not in row.sources or (row.modes and demand.service_mode not in row.modes):
            return _("需求当前状态为“%(status)s”，不能执行“%(action)s”。") % {
                "status": demand.get_status_display(),
                "action": row.label,
            }
        return _("您无权对该需求执行“%(action)s”。") % {"action": row.label}

    @property
    def may_assign(self):
        return self.is_agency and self.is_open

    @property
    def may_respond(self):
        a = self.assignment
        return (
            self.is_open
            and a is not None
            and a.status == AssignmentStatus.PENDING
            and self.scope.is_specialist
            and a.specialist_id == self.scope.specialist_id
        )

    @property
    def note_kinds(self):
        kinds = []
        if self.works_on and self.is_open:
            kinds.append(NoteKind.PROGRESS)
        if self.is_agency:
            kinds.append(NoteKind.INSTRUCTION)
        return kinds

    @property
    def may_prepare(self):
        return self.demand.status == DemandStatus.PREPARING and self.is_specialist

    @property
    def may_verify(self):
        return self.is_open and (self.is_specialist or self.is_agency)

    @property
    def may_keep_ledger(self):
        return self.works_on and self.demand.status in workflow.LEDGER_STATUSES

    def may_edit_entry(self, entry, now=None):
        return (
            self.may_keep_ledger and entry.author_id == self.user.pk and (now or timezone.now()) <= entry.editable_until
        )

    @property
    def may_update_milestones(self):
        return self.works_on and self.is_open

    @property
    def may_mark_informed(self):
        return self.facts.has_plan and (self.works_on or self.is_agency or self.is_enterprise)

    @property
    def may_upload(self):
        return self.works_on or self.is_agency or self.demand.registered_by_id == self.user.pk

    @cached_property
    def sees_contact(self):
        """The demand's contact details in full; others read them masked (R6.2, the one
        rule of qiservice/core/masking.py)."""
        return can_see_contact(self.scope, self.demand)


def load_demand(request, pk, action="view"):
    """The demand through the data scope (404 outside it, 403 when read-only), with what
    its header shows."""
    queryset = Demand.objects.select_related(
        "enterprise", "district", "specialist", "registered_by", "special_task"
    ).prefetch_related("category_rows")
    demand = queryset.restrict(request.user, action).filter(pk=pk).first()
    if demand is None:
        Demand.objects.get_for(request.user, pk, action)  # raises 404 or 403
        raise Http404
    return demand


def to_portal(user):
    """Enterprise-only users follow their demands in the portal, which shows what the
    enterprise may see; the staff pages hold internal records (the ledger, the preparation
    with its risk notes, internal notes, dispatch answers)."""
    return get_scope(user).is_enterprise_only


# --- the page ------------------------------------------------------------------------------


@login_required
def detail(request, pk):
    user = request.user
    if to_portal(user):
        Demand.objects.get_for(user, pk, "view")  # 404 outside the enterprise's demands
        return redirect("portal:demand", pk=pk)
    demand = page_demand(request, pk)
    records = read_records(demand, user)
    # The facts the rules need, from the records just read (see Facts.of): the template
    # tags of other apps (portal, evaluations, documents) get them too.
    facts = demand.shown_facts = T.Facts.from_records(
        demand,
        assignments=records.assignments,
        escalations=records.escalations,
        agreements=records.agreements,
        plans=records.plans,
        has_ledger=bool(records.ledger),
    )
    viewer = Viewer(user, demand, facts)
    viewer.assignment = max(records.assignments, key=lambda a: (a.assigned_at, a.pk), default=None)
    audit.record(AuditEvent.VIEWED, demand, actor=user)  # enterprise data was shown (R6.2)
    decorate_records(records, demand, viewer)
    events = timeline_rows(timeline.build(demand, user, facts=facts, records=records))
    preparation = demand.preparation if facts.has_preparation else None
    context = {
        "demand": demand,
        "viewer": viewer,
        "open_sections": open_sections(demand, viewer),
        **action_buttons(demand, viewer, records.plans),
        "assignment": viewer.assignment if viewer.sees_internal or viewer.may_respond else None,
        "preparation": preparation,
        "preparation_content": _preparation_content(preparation),
        "preparation_risks": _preparation_risks(preparation),
        "agreements": records.agreements,
        "plans": records.plans,
        "escalations": records.escalations,
        # The ledger is an internal working record (like its exports and documents).
        "ledger_rows": ledger_rows(demand, records.ledger, viewer) if viewer.sees_internal else [],
        "ledger_total": (records.ledger[0].total if records.ledger else 0) if viewer.sees_internal else 0,
        "summary": demand.summary if facts.has_summary else None,
        "attachments": records.attachments,
        "events": events,
        "enterprise_visible": demand.enterprise_visible,
        "specialist_visible": bool(demand.specialist_id) and demand.specialist_visible,
        "contact_phone": shown(demand.contact_phone, viewer.sees_contact),
        "contact_email": shown(demand.contact_email, viewer.sees_contact),
        "note_form": F.NoteForm(demand=demand, user=user, kinds=viewer.note_kinds) if viewer.note_kinds else None,
        "ledger_edit_hours": settings.LEDGER_EDIT_HOURS,
    }
    return render(request, "demands/detail.html", context)


def page_demand(request, pk):
    """The demand through the data scope (404 outside it), read in one query (its categories
    in a second) with what the page shows of it: the header's rows and its one-to-one
    records; whether the viewer may
    open its enterprise's and specialist's pages and its typical case, and reads its
    contacts in full; and whether it has any of the records most demands have none of
    (`has_*`: then they are not asked for, by the page or by the template tags of other
    apps). An `Exists` costs about as much as a query in Django's time, so the records most
    demands have are simply read."""
    from qiservice.accounts.models import District
    from qiservice.assessments.models import ReturnVisit
    from qiservice.portal.models import Message

    from ..models import Attachment, Note, SpecialTask
    from .cases import cases_for

    user = request.user
    of_demand = OuterRef("pk")
    queryset = (
        # PostgreSQL plans this query in ~2 ms with eight joined tables, ~0.7 ms with six (city
        # database): the district's and the special task's names come as subqueries instead,
        # and the people the records name in one query of their own (attach_users).
        Demand.objects.select_related("enterprise", "specialist", "preparation", "summary", "evaluation")
        .prefetch_related("category_rows")
        .annotate(
            district_name=Subquery(District.objects.filter(pk=OuterRef("district_id")).values("name")[:1]),
            special_task_title=Subquery(SpecialTask.objects.filter(pk=OuterRef("special_task_id")).values("title")[:1]),
            enterprise_visible=Exists(Enterprise.objects.restrict(user).filter(pk=OuterRef("enterprise_id"))),
            specialist_visible=Exists(Specialist.objects.restrict(user).filter(pk=OuterRef("specialist_id"))),
            case_visible=Exists(cases_for(user).filter(demand=of_demand)),
            has_notes=Exists(Note.objects.filter(demand=of_demand)),
            has_attachments=Exists(Attachment.objects.filter(demand=of_demand)),
            has_messages=Exists(Message.objects.filter(demand=of_demand)),
            has_return_visits=Exists(ReturnVisit.objects.filter(demand=of_demand)),
            has_followers=Exists(Demand.objects.filter(follows=of_demand)),
        )
    )
    # Whether the viewer reads its contacts in full (R6.2), in the same query.
    queryset = annotate_contact(queryset, user)
    found = list(queryset.restrict(user, "view").filter(pk=pk).order_by()[:1])  # one row: no ORDER BY
    demand = found[0] if found else None
    if demand is None:
        Demand.objects.get_for(user, pk, "view")  # raises 404 or 403
        raise Http404
    return demand


def read_records(demand, user):
    """The demand's records, each kind read once for the page and its timeline (the number
    of queries does not grow with them), and the latest ledger entries: whether the viewer
    sees them is known once the facts are (they need the ledger's existence)."""

    def read(exists, queryset):
        return queryset if exists else []

    records = timeline.Records(
        status_changes=in_order(demand.status_changes.order_by(), "created_at"),
        assignments=in_order(demand.assignments.select_related("specialist").order_by(), "assigned_at", newest=True),
        notes=in_order(read(demand.has_notes, demand.notes.order_by()), "created_at"),
        # Every attachment: which of them the viewer sees is known once the facts are.
        attachments=in_order(read(demand.has_attachments, demand.attachments.order_by()), "uploaded_at"),
        agreements=in_order(demand.agreements.select_related("institution").order_by(), "created_at", newest=True),
        plans=in_order(demand.plans.prefetch_related("milestones").order_by(), "created_at", newest=True),
        escalations=in_order(
            demand.escalations.prefetch_related(
                Prefetch("dispatches", queryset=Dispatch.objects.select_related("institution"))
            ).order_by(),
            "reported_at",
            newest=True,
        ),
        ledger=latest_ledger(demand),
    )
    dispatches = [d for e in records.escalations for d in e.dispatches.all()]
    attach_users(
        ([demand], "registered_by"),
        ([demand.preparation] if T.hasattr_row(demand, "preparation") else [], "updated_by"),
        ([demand.summary] if T.hasattr_row(demand, "summary") else [], "submitted_by"),
        (records.status_changes, "actor"),
        (records.assignments, "assigned_by"),
        (records.notes, "author"),
        (records.attachments, "uploaded_by"),
        (records.agreements, "created_by"),
        (records.plans, "created_by", "informed_by"),
        (records.escalations, "reported_by"),
        (dispatches, "responded_by"),
        (records.ledger, "author"),
    )
    return records


def in_order(rows, field, *, newest=False):
    """The rows by `field` then pk, sorted here: a demand has a handful of each kind of
    record, and an ORDER BY costs Django ~0.3 ms a query to write."""
    return sorted(rows, key=attrgetter(field, "pk"), reverse=newest)


def attach_users(*groups):
    """Set the user fields (`(records, field, ...)`) of the page's records from one query
    of the few people they name, rather than a join of the user table in every query."""
    from qiservice.accounts.models import User

    ids = {getattr(row, f"{name}_id") for rows, *names in groups for row in rows for name in names}
    ids.discard(None)
    users = User.objects.in_bulk(ids) if ids else {}
    for rows, *names in groups:
        for row in rows:
            for name in names:
                user_id = getattr(row, f"{name}_id")
                if user_id is not None:
                    setattr(row, name, users[user_id])


def decorate_records(records, demand, viewer):
    """Leave out what the viewer may not see and add what the page shows of each record."""
    today = timezone.localdate()
    if not workflow.sees_trade_secrets(viewer.scope, demand, viewer.facts):
        records.attachments = [a for a in records.attachments if not a.is_trade_secret]
    by_pk = {a.pk: a for a in records.attachments}
    for agreement in records.agreements:
        agreement.visible_scan = by_pk.get(agreement.scan_id)  # a secret scan stays hidden
    for plan in records.plans:
        plan.bar_class = quarter_class(plan.progress)
        for m in plan.milestones.all():
            m.bar_class = quarter_class(m.progress)
            m.is_overdue = m.progress < 100 and m.due_on < today and viewer.is_open
    for escalation in records.escalations:
        # The enterprise sees which institution serves it, not who declined and why; an
        # institution sees its own dispatch.
        escalation.shown_dispatches = [
            d
            for d in escalation.dispatches.all()
            if viewer.sees_internal
            or d.status == DispatchStatus.ACCEPTED
            or d.institution_id in viewer.scope.institution_ids
        ]
    if not viewer.sees_internal:
        records.ledger = []  # an internal working record (the timeline leaves it out too)


# The page shows the latest ledger entries; the whole ledger is the ledger list's and the
# export's (a long service must not make the page slower).
LEDGER_ON_PAGE = 20


def latest_ledger(demand):
    """The latest LEDGER_ON_PAGE ledger entries in Appendix B order, each carrying the
    ledger's length (`total`): one query, whatever the length."""
    from django.db.models import Count, Window

    rows = list(
        demand.ledger_entries.select_related("corrects")
        .annotate(total=Window(Count("pk")))
        .order_by("-entry_on", "-created_at", "-pk")[:LEDGER_ON_PAGE]
    )
    rows.reverse()
    return rows


def ledger_rows(demand, ledger, viewer):
    """Each ledger row as the page shows it, formatted once (the table and the phone list
    show the same rows), with the link its viewer gets: edit (its author, within
    LEDGER_EDIT_HOURS) or 更正 (a correction entry, once the row may no longer be edited)."""
    now = timezone.now()
    add_url = reverse("demands:ledger_add", args=[demand.pk])  # once, not per row
    rows = []
    for entry in ledger:
        editable = viewer.may_edit_entry(entry, now)
        correctable = viewer.may_keep_ledger and not editable
        rows.append(
            {
                "pk": entry.pk,
                "entry_on": entry.entry_on.isoformat(),
                "corrects_on": entry.corrects.entry_on.isoformat() if entry.corrects_id else "",
                "enterprise_contact": entry.enterprise_contact,
                "problem": linebreaksbr(entry.problem, autoescape=True),
                "handling": linebreaksbr(entry.handling, autoescape=True),
                "remarks": linebreaksbr(entry.remarks, autoescape=True),
                "author": entry.author.display_name,
                "edit_url": reverse("demands:ledger_edit", args=[demand.pk, entry.pk]) if editable else "",
                "correct_url": f"{add_url}?corrects={entry.pk}" if correctable else "",
            }
        )
    return rows


# The colour of each kind of event's line in the timeline.
EVENT_BORDERS = {
    "transition": "border-primary",
    "instruction": "border-warning",
    "progress": "border-info",
    "evaluation": "border-success",
}


def timeline_rows(events):
    """The timeline's events as the page shows them, newest first (what happened last is
    what the reader wants), formatted once here: a page has dozens of events, and every
    lookup of an object's attribute in a template costs a caught exception."""
    return [
        {
            "kind": e.kind,
            "border": EVENT_BORDERS.get(e.kind, "border-secondary-subtle"),
            "at": timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
            "actor": e.actor,
            "title": e.title,
            "status": e.status,
            "status_badge": e.status_badge,
            "status_label": e.status_label,
            "text": linebreaksbr(e.text, autoescape=True) if e.text else "",
        }
        for e in reversed(events)
    ]


def action_buttons(demand, viewer, plans):
    """The transitions the viewer may take now (with what each is missing), the closing ones
    (withdraw, cancel) last, and whether the plan still has to be told to the enterprise."""
    actions = [
        {
            "row": row,
            "missing": missing,
            "one_tap": row.action in F.ONE_TAP_ACTIONS,
            "url": reverse("demands:act", args=[demand.pk, row.action]),
        }
        for row, missing in viewer.transitions
    ]
    trailing = [a for a in actions if a["row"].style.startswith("outline-")]
    latest_plan = plans[0] if plans else None
    return {
        "actions": [a for a in actions if a not in trailing],
        "trailing_actions": trailing,
        "needs_informed": (
            latest_plan is not None
            and latest_plan.enterprise_informed_on is None
            and demand.service_mode == ServiceMode.ASSISTED
            and viewer.is_open
            and viewer.may_mark_informed
        ),
    }


S = DemandStatus
# Which records are unfolded on the page at each stage: the ones being worked on. The rest
# stay one tap away, so a phone shows the plan and the ledger without endless scrolling.
OPEN_SECTIONS = {
    "registration": {S.REGISTERED, S.PREPARING, S.CONFIRMED, S.ESCALATED, S.DISPATCHED, S.ACCEPTED},
    "preparation": {S.PREPARING, S.CONFIRMED, S.ESCALATED, S.DISPATCHED},
    "escalation": {S.ESCALATED, S.DISPATCHED, S.ACCEPTED},
    "agreements": {S.ACCEPTED, S.AGREEMENT_SIGNED, S.PLAN_MADE},
}


def open_sections(demand, viewer):
    sections = {name for name, statuses in OPEN_SECTIONS.items() if demand.status in statuses}
    if viewer.is_pending_institution:
        sections |= {"registration", "escalation"}  # what they are asked to take on
    return sections


def _preparation_content(preparation):
    if preparation is None:
        return []
    return [(label, preparation.content[v]) for v, label in QIField.choices if preparation.content.get(v)]


def _preparation_risks(preparation):
    if preparation is None:
        return []
    return [(label, preparation.risks[v]) for v, label in RiskKind.choices if v in preparation.risks]


# --- forms on their own pages ------------------------------------------------------------------


class DemandFormView(LoginRequiredMixin, View):
    """A form of the demand page on its own page: GET shows it, POST runs the rules.

    Subclasses say who may use it (`refusal`), build the form and call the rules in
    `perform`. A refusal is told on the demand page and nothing changes; a stale version
    re-shows the form with what was typed; any other refusal by the rules is shown on the
    form."""

    form_class = None
    title = ""
    submit_label = _("提交")
    submit_style = "primary"
    success_message = _("已保存。")
    help_text = ""
    anchor = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.demand = load_demand(request, kwargs["pk"], "change")
        if to_portal(request.user):  # withdrawing and acknowledging the plan are in the portal
            return redirect("portal:demand", pk=self.demand.pk)
        self.viewer = Viewer(request.user, self.demand)
        return super().dispatch(request, *args, **kwargs)

    # What subclasses fill in.
    def refusal(self):
        """None when the viewer may use this form now, else the reason in Chinese."""
        return None

    def form_kwargs(self):
        return {}

    def perform(self, form):
        raise NotImplementedError

    def extra_context(self):
        return {}

    def get_title(self):
        return self.title

    def get_success_message(self, result):
        return self.success_message

    def success_url(self, result):
        url = self.demand.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url

    # The machinery.
    def make_form(self, data=None, files=None):
        return self.form_class(data, files, demand=self.demand, user=self.request.user, **self.form_kwargs())

    def formsets(self, data=None):
        return {}

    def refuse(self, message):
        messages.error(self.request, message)
        return redirect(self.demand)

    def get(self, request, *args, **kwargs):
        message = self.refusal()
        if message:
            return self.refuse(message)
        return self.render_page(self.make_form(), self.formsets())

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST, request.FILES)
        formsets = self.formsets(request.POST)
        posted = request.POST.get("version", "")
        if posted.isdigit() and int(posted) != self.demand.version:
            # Someone else changed the demand since the form was loaded: say so before
            # anything else, and keep what the user typed.
            return self.stale(form, formsets)
        message = self.refusal()
        if message:
            return self.refuse(message)
        if not (form.is_valid() and all(fs.is_valid() for fs in formsets.values())):
            messages.error(request, _("提交未保存，请按提示修正后重试。"))
            return self.render_page(form, formsets)
        try:
            with transaction.atomic():
                result = self.perform(form, **({"formsets": formsets} if formsets else {}))
        except workflow.StaleDemandError:
            self.demand.refresh_from_db()
            return self.stale(form, formsets)
        except workflow.WorkflowError as error:
            if not form.errors:  # not yet shown next to a field
                form.add_error(None, error.messages)
            messages.error(request, " ".join(error.messages))
            return self.render_page(form, formsets)
        messages.success(request, self.get_success_message(result))
        return redirect(self.success_url(result))

    def stale(self, form, formsets):
        fresh = Demand.objects.get(pk=self.demand.pk)
        messages.error(
            self.request,
            _("该需求已被他人更新（当前第%(v)d版），您填写的内容未保存，已保留在下方。请先查看最新情况，确认后再提交。")
            % {"v": fresh.version},
        )
        data = self.request.POST.copy()
        data["version"] = str(fresh.version)
        form.data = data
        for formset in formsets.values():
            formset.data = data
        self.demand = fresh
        self.viewer = Viewer(self.request.user, fresh)
        return self.render_page(form, formsets, stale=True, still_refused=self.refusal())

    def render_page(self, form, formsets, **extra):
        context = {
            "demand": self.demand,
            "form": form,
            "formsets": formsets,
            "title": self.get_title(),
            "submit_label": self.submit_label,
            "submit_style": self.submit_style,
            "help_text": self.help_text,
            "cancel_url": self.success_url(None),
            "multipart": any(f.widget.needs_multipart_form for f in form.fields.values()),
        }
        context.update(self.extra_context())
        context.update(extra)
        return render(self.request, "demands/action.html", context)


class ActView(DemandFormView):
    """/demands/<pk>/act/<action>/: a transition of the state machine."""

    def dispatch(self, request, *args, **kwargs):
        self.action = kwargs["action"]
        if self.action not in F.ACTION_FORMS:
            raise Http404
        self.row = T.TRANSITIONS[self.action]
        self.form_class = F.ACTION_FORMS[self.action]
        return super().dispatch(request, *args, **kwargs)

    def get_title(self):
        return self.row.label

    @property
    def submit_label(self):
        return _("确认%(action)s") % {"action": self.row.label}

    @property
    def submit_style(self):
        return self.row.style.replace("outline-", "")

    @property
    def help_text(self):
        return self.row.help

    def refusal(self):
        return self.viewer.refusal(self.action)

    def formsets(self, data=None):
        if self.action == "make_plan":
            return {"milestones": F.MilestoneFormSet(data, prefix="milestones")}
        return {}

    def post(self, request, *args, **kwargs):
        if self.action == "make_plan" and "more_rows" in request.POST:
            message = self.refusal()
            return self.refuse(message) if message else self.more_milestone_rows(request.POST)
        return super().post(request, *args, **kwargs)

    def more_milestone_rows(self, data):
        """The plan form again with what was typed and three more blank rows (no script)."""
        total = min(int(data.get("milestones-TOTAL_FORMS") or 0), F.MilestoneFormSet.max_num)
        rows = [
            {"title": data.get(f"milestones-{i}-title", ""), "due_on": data.get(f"milestones-{i}-due_on", "")}
            for i in range(total)
        ]
        rows = [row for row in rows if row["title"] or row["due_on"]]
        form = self.form_class(
            initial={name: data.get(name, "") for name in ("objectives", "resources", "version")},
            demand=self.demand,
            user=self.request.user,
        )
        formset = F.MilestoneFormSet(prefix="milestones", initial=rows)
        formset.extra = 3
        return self.render_page(form, {"milestones": formset})

    REASON_LABELS = {"decline_dispatch": _("拒绝理由"), "withdraw": _("撤回理由"), "cancel": _("取消理由")}

    def make_form(self, data=None, files=None):
        form = super().make_form(data, files)
        if self.action in self.REASON_LABELS:
            form.fields["reason"].label = self.REASON_LABELS[self.action]
        return form

    def extra_context(self):
        context = {"action": self.action}
        if self.action in ("dispatch", "accept_dispatch", "decline_dispatch"):
            escalation = self.demand.escalations.order_by("-reported_at", "-pk").first()
            context["escalation"] = escalation
            if self.action == "dispatch":
                context["recommend_url"] = reverse("specialists:match_institutions", args=[self.demand.pk])
        if self.action in ("make_plan", "sign_agreement"):
            context["agreement"] = self.demand.agreements.order_by("-created_at", "-pk").first()
        if self.action == "close" and self.demand.status == DemandStatus.SUMMARY_SUBMITTED:
            context["hint"] = _("服务对象尚未评价：办结须由管理机构填写理由。")
        return context

    def perform(self, form, formsets=None):
        user = self.request.user
        expected = form.cleaned_data.get("version")
        attachment = None
        upload = form.cleaned_data.get(form.upload_field) if form.upload_field else None
        if upload:
            secret = bool(form.upload_flag_field and form.cleaned_data.get(form.upload_flag_field))
            try:
                attachment = workflow.add_attachment(
                    self.demand, upload, by=user, stage=form.upload_stage, is_trade_secret=secret
                )
            except workflow.WorkflowError as error:
                form.add_error(form.upload_field, error.messages)
                raise
            if expected is not None:
                expected += 1  # storing the file was a change of its own
        if formsets:
            kwargs = form.rules_kwargs(attachment, milestones=formsets["milestones"].rows())
        else:
            kwargs = form.rules_kwargs(attachment)
        try:
            return workflow.take(self.action, self.demand, by=user, expected_version=expected, **kwargs)
        except workflow.WorkflowError:
            if attachment is not None:
                # The attachment's row rolls back with the transaction; its file goes too.
                attachment.file.storage.delete(attachment.file.name)
            raise

    def get_success_message(self, result):
        if self.action == "end_service":
            return _("服务已结束，已生成满意度评价邀请（附录C）。")
        if self.action == "dispatch":
            return _("已派单，等待技术机构接单。")
        return _("已完成“%(action)s”。") % {"action": self.row.label}


class AssignView(DemandFormView):
    form_class = F.AssignForm
    title = _("指派服务专员")
    submit_label = _("指派")
    help_text = _("被指派的服务专员确认接受后开始承办；在办需求已达上限的专员不能指派。")

    def get_title(self):
        return _("改派服务专员") if self.demand.specialist_id else _("指派服务专员")

    def refusal(self):
        if not self.viewer.is_agency:
            return _("只有管理机构可以指派服务专员。")
        if not self.viewer.is_open:
            return _("需求已结束，不能再指派。")
        return None

    def extra_context(self):
        return {"recommend_url": reverse("specialists:match", args=[self.demand.pk])}

    def perform(self, form):
        return workflow.assign(
            self.demand,
            form.cleaned_data["specialist"],
            by=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            **form.rules_kwargs(),
        )

    def get_success_message(self, result):
        return _("已指派给 %(name)s，等待其确认。") % {"name": result.specialist.name}


class RespondAssignmentView(DemandFormView):
    form_class = F.RespondAssignmentForm
    title = _("答复指派")

    def form_kwargs(self):
        return {"initial": {"decision": self.request.GET.get("decision", "")}}

    def refusal(self):
        return None if self.viewer.may_respond else _("没有等待您确认的指派。")

    def extra_context(self):
        return {"assignment": self.viewer.assignment}

    def perform(self, form):
        return workflow.respond_to_assignment(
            self.demand, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        if result.status == AssignmentStatus.ACCEPTED:
            return _("已接受指派，请开始服务准备。")
        return _("已拒绝指派，管理机构将重新指派。")

    def success_url(self, result):
        if result is not None and result.status == AssignmentStatus.DECLINED:
            return reverse("home")  # the demand is no longer theirs to see
        return super().success_url(result)


class NoteView(DemandFormView):
    form_class = F.NoteForm
    title = _("填写进展 / 工作指示")
    anchor = "timeline"

    def get_title(self):
        kinds = self.viewer.note_kinds
        if kinds == [NoteKind.PROGRESS]:
            return _("填写进展")
        if kinds == [NoteKind.INSTRUCTION]:
            return _("下达工作指示")
        return self.title

    def form_kwargs(self):
        return {"kinds": self.viewer.note_kinds}

    def refusal(self):
        if self.viewer.note_kinds:
            return None
        if self.viewer.works_on:
            return _("需求已结束，不能再添加进展。")
        return _("只有承办的服务专员、技术机构或管理机构可以填写进展或工作指示。")

    def perform(self, form):
        return workflow.add_note(
            self.demand, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        return _("已添加%(kind)s。") % {"kind": result.get_kind_display()}


class PreparationView(DemandFormView):
    form_class = F.PreparationForm
    title = _("服务准备记录")
    submit_label = _("保存服务准备记录")
    help_text = _("8.2 服务准备：计划和安排、初步服务内容（按领域）、服务对象建议、风险信息。")
    anchor = "preparation"

    def form_kwargs(self):
        return {"preparation": self.demand.preparation if self.viewer.facts.has_preparation else None}

    def refusal(self):
        if self.demand.status != DemandStatus.PREPARING:
            return _("只有在服务准备阶段可以填写服务准备记录。")
        if not self.viewer.is_specialist:
            return _("只有承办的服务专员可以填写服务准备记录。")
        return None

    def perform(self, form):
        return workflow.save_preparation(
            self.demand, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        return _("服务准备记录已保存。")


class VerifyEnterpriseView(DemandFormView):
    form_class = F.VerifyEnterpriseForm
    title = _("核实服务对象信息")
    submit_label = _("确认核实")
    help_text = _("8.2.2 核实企业规模、主要产品、研发能力、生产能力、质量管理状况；保存后记录核实人和时间。")
    anchor = "preparation"

    def refusal(self):
        return None if self.viewer.may_verify else _("只有承办的服务专员或管理机构可以核实服务对象信息。")

    def perform(self, form):
        return workflow.verify_enterprise(
            self.demand, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        return _("服务对象信息已核实。")


class LedgerAddView(DemandFormView):
    """A new ledger row; with ?corrects=<entry>, a correction of an earlier row."""

    form_class = F.LedgerForm
    submit_label = _("保存台账")
    anchor = "ledger"

    @cached_property
    def corrected(self):
        value = self.request.POST.get("corrects") or self.request.GET.get("corrects")
        if not value:
            return None
        if not str(value).isdigit():
            raise Http404
        return get_object_or_404(LedgerEntry, pk=value, demand=self.demand)

    def get_title(self):
        return _("更正工作台账") if self.corrected else _("添加工作台账")

    def form_kwargs(self):
        corrected = self.corrected
        return {"entry": corrected} if corrected else {}

    def refusal(self):
        if not self.viewer.works_on:
            return _("只有承办的服务专员或技术机构可以填写工作台账。")
        if self.demand.status not in workflow.LEDGER_STATUSES:
            return _("需求当前状态不能填写工作台账。")
        return None

    def extra_context(self):
        return {"corrected": self.corrected}

    def perform(self, form):
        return workflow.add_ledger_entry(
            self.demand,
            by=self.request.user,
            corrects=self.corrected,
            expected_version=form.cleaned_data.get("version"),
            **form.rules_kwargs(),
        )

    def get_success_message(self, result):
        return _("更正记录已保存，原记录保留。") if result.corrects_id else _("工作台账已保存。")


class LedgerEditView(DemandFormView):
    form_class = F.LedgerForm
    title = _("修改工作台账")
    submit_label = _("保存修改")
    anchor = "ledger"

    def dispatch(self, request, *args, **kwargs):
        self.entry_pk = kwargs["entry_pk"]
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def entry(self):
        return get_object_or_404(LedgerEntry, pk=self.entry_pk, demand=self.demand)

    def form_kwargs(self):
        return {"entry": self.entry}

    def refusal(self):
        entry = self.entry
        if entry.author_id != self.request.user.pk:
            return _("只有记录人可以修改该台账记录。")
        if timezone.now() > entry.editable_until:
            return _("该台账记录已超过%(h)d小时的修改期限，请添加更正记录。") % {"h": settings.LEDGER_EDIT_HOURS}
        if not self.viewer.may_keep_ledger:
            return _("需求当前状态不能修改工作台账。")
        return None

    def extra_context(self):
        return {"editable_until": self.entry.editable_until}

    def perform(self, form):
        return workflow.edit_ledger_entry(
            self.entry, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        return _("台账记录已修改。")


class MilestoneView(DemandFormView):
    form_class = F.MilestoneForm
    submit_label = _("保存进度")
    anchor = "plan"

    def dispatch(self, request, *args, **kwargs):
        self.milestone_pk = kwargs["milestone_pk"]
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def milestone(self):
        return get_object_or_404(
            Milestone.objects.select_related("plan"), pk=self.milestone_pk, plan__demand=self.demand
        )

    def get_title(self):
        return _("更新进度：%(title)s") % {"title": self.milestone.title}

    def form_kwargs(self):
        return {"milestone": self.milestone}

    def refusal(self):
        self.milestone  # noqa: B018 - a milestone of another demand is a 404 before anything else
        if not self.viewer.works_on:
            return _("只有承办的服务专员或技术机构可以更新方案进度。")
        if not self.viewer.is_open:
            return _("需求已结束。")
        return None

    def extra_context(self):
        return {"milestone": self.milestone}

    def perform(self, form):
        return workflow.update_milestone(
            self.milestone,
            by=self.request.user,
            expected_version=form.cleaned_data.get("version"),
            **form.rules_kwargs(),
        )

    def get_success_message(self, result):
        return _("“%(title)s”进度已更新为 %(p)d%%。") % {"title": result.title, "p": result.progress}


class MarkInformedView(DemandFormView):
    form_class = F.InformedForm
    anchor = "plan"

    def get_title(self):
        return _("确认已知悉服务方案") if self.viewer.is_enterprise else _("记录方案告知服务对象")

    @property
    def submit_label(self):
        return _("确认已知悉") if self.viewer.is_enterprise else _("记录告知")

    @property
    def help_text(self):
        return _("8.4.2 c 协助服务的服务方案须告知服务对象后才能开始实施。")

    def refusal(self):
        if not self.viewer.facts.has_plan:
            return _("还没有服务方案。")
        if not (self.viewer.works_on or self.viewer.is_agency or self.viewer.is_enterprise):
            return _("您无权记录方案告知情况。")
        return None

    def extra_context(self):
        return {"plan": self.demand.plans.prefetch_related("milestones").order_by("-created_at", "-pk").first()}

    def perform(self, form):
        return workflow.mark_informed(
            self.demand, by=self.request.user, expected_version=form.cleaned_data.get("version"), **form.rules_kwargs()
        )

    def get_success_message(self, result):
        return _("已记录：%(date)s 告知服务对象。") % {"date": result.enterprise_informed_on.isoformat()}


class AttachmentUploadView(DemandFormView):
    form_class = F.AttachmentForm
    title = _("上传附件")
    submit_label = _("上传")
    anchor = "attachments"

    def form_kwargs(self):
        return {"initial": {"stage": self.request.GET.get("stage", "other")}}

    def refusal(self):
        return None if self.viewer.may_upload else _("您无权为该需求上传附件。")

    def perform(self, form):
        try:
            # The upload is checked against the version the page showed, then stored.
            workflow._lock(self.demand, form.cleaned_data.get("version"))
            return workflow.add_attachment(
                self.demand, form.cleaned_data["file"], by=self.request.user, **form.rules_kwargs()
            )
        except workflow.StaleDemandError:
            raise
        except workflow.WorkflowError as error:
            form.add_error("file", error.messages)
            raise

    def get_success_message(self, result):
        return _("附件“%(name)s”已上传。") % {"name": result.original_name}


# --- attachment download ---------------------------------------------------------------------


@login_required
def attachment(request, pk, attachment_pk):
    """Stream an attachment the user may see, as a download under its original name; every
    download is audited. Files are never served from MEDIA directly."""
    demand = Demand.objects.get_for(request.user, pk, "view")
    if to_portal(request.user):  # the portal's download applies the enterprise's own rules
        return redirect("portal:attachment", pk=demand.pk, attachment_pk=attachment_pk)
    found = workflow.attachments_visible_to(request.user, demand).filter(pk=attachment_pk).first()
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    workflow.record_download(found, demand, by=request.user, via="web")
    response = FileResponse(handle, as_attachment=True, filename=found.original_name, content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", ActView.as_view(), name="act"),
    path("<int:pk>/assign/", AssignView.as_view(), name="assign"),
    path("<int:pk>/assignment/", RespondAssignmentView.as_view(), name="respond_assignment"),
    path("<int:pk>/notes/add/", NoteView.as_view(), name="add_note"),
    path("<int:pk>/preparation/", PreparationView.as_view(), name="preparation"),
    path("<int:pk>/enterprise/verify/", VerifyEnterpriseView.as_view(), name="verify_enterprise"),
    path("<int:pk>/ledger/add/", LedgerAddView.as_view(), name="ledger_add"),
    path("<int:pk>/ledger/<int:entry_pk>/", LedgerEditView.as_view(), name="ledger_edit"),
    path("<int:pk>/milestones/<int:milestone_pk>/", MilestoneView.as_view(), name="milestone"),
    path("<int:pk>/plan/informed/", MarkInformedView.as_view(), name="mark_informed"),
    path("<int:pk>/attachments/upload/", AttachmentUploadView.as_view(), name="attachment_upload"),
    path("<int:pk>/attachments/<int:attachment_pk>/", attachment, name="attachment"),
]
