"""Pages of special service tasks (8.1.2): the agency's task list, the task with its targets'
progress, the create/edit form, and the specialist's record of a contact attempt."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.core.tables import Column
from qiservice.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from qiservice.core.visibility import get_scope
from qiservice.enterprises.models import Enterprise

from .. import tasks_workflow
from ..choices import TargetStatus
from ..forms.tasks import ContactAttemptForm, TargetFilterForm, TargetFormSet, TaskFilterSet, TaskForm
from ..models import ContactAttempt, Demand, SpecialTask, TaskTarget

TARGET_BADGES = {
    TargetStatus.PENDING: "secondary",
    TargetStatus.CONTACTED: "info",
    TargetStatus.DEMAND_REGISTERED: "success",
    TargetStatus.NO_DEMAND: "light border",
    TargetStatus.UNREACHABLE: "warning",
}
TARGETS_PER_PAGE = 50
SEARCH_LIMIT = 20


def _may_open_tasks(user):
    scope = get_scope(user)
    return scope.is_agency or scope.is_auditor or scope.is_specialist


class PeriodColumn(Column):
    def render(self, obj):
        return format_html(
            '<span class="text-nowrap">{}</span> – <span class="text-nowrap">{}</span>',
            obj.starts_on.isoformat(),
            obj.ends_on.isoformat(),
        )


class ProgressColumn(Column):
    """已联系 x · 已登记需求 y / 共 z, from the counts annotated by `with_progress`."""

    def render(self, obj):
        return format_html(
            '<div class="small text-nowrap">{} <strong>{}</strong> · {} <strong>{}</strong> / {} {}</div>'
            '<progress class="task-progress w-100" max="{}" value="{}" aria-label="{}">{}</progress>',
            _("已联系"),
            obj.target_contacted,
            _("已登记需求"),
            obj.target_registered,
            _("共"),
            obj.target_total,
            obj.target_total or 1,
            obj.target_contacted,
            _("联系进度"),
            obj.target_contacted,
        )


class TaskListView(ObjectListView):
    """The tasks the user sees: the agency those touching its districts (all for the admin),
    a specialist those where they have targets — each with its period and progress."""

    model = SpecialTask
    title = gettext_lazy("专项服务任务")
    filterset_class = TaskFilterSet
    search_fields = ("title", "programme")
    default_sort = ("-starts_on", "-pk")
    create_url = "demands:task_create"
    columns = (
        Column("title", gettext_lazy("任务名称"), sort="title", link=True, primary=True),
        Column("programme", gettext_lazy("所属项目"), sort="programme"),
        PeriodColumn("starts_on", gettext_lazy("任务期"), sort="starts_on"),
        ProgressColumn("target_total", gettext_lazy("进度"), sort="target_contacted"),
    )

    def has_permission(self):
        return _may_open_tasks(self.request.user)

    def can_create(self):
        return tasks_workflow.may_manage_tasks(self.request.user)

    def get_queryset(self):
        return tasks_workflow.with_progress(super().get_queryset(), self.request.user)


class TaskEditView(ObjectEditView):
    model = SpecialTask
    form_class = TaskForm
    template_name = "demands/task_form.html"
    title_create = gettext_lazy("新建专项服务任务")
    title_edit = gettext_lazy("编辑专项服务任务")

    def may_create(self):
        return tasks_workflow.may_manage_tasks(self.request.user)

    def get_object(self, pk, action=None):
        if not tasks_workflow.may_manage_tasks(self.request.user):
            # Read-only roles and specialists may look at a task, never edit it.
            SpecialTask.objects.get_for(self.request.user, pk)
            raise PermissionDenied
        return super().get_object(pk, action)

    def new_object(self):
        today = timezone.localdate()
        return SpecialTask(starts_on=today, ends_on=today + timezone.timedelta(days=30))

    def get_formsets(self, obj, data=None):
        if obj.pk is None:
            return {}
        queryset = (
            TaskTarget.objects.filter(task=obj, enterprise__in=Enterprise.objects.restrict(self.request.user))
            .select_related("enterprise", "specialist")
            .annotate(attempt_count=Count("attempts"))
            .order_by("enterprise__name", "pk")
        )
        return {"targets": TargetFormSet(data=data, queryset=queryset, prefix="targets", user=self.request.user)}

    def save(self, form, formsets):
        fields = {
            name: form.cleaned_data[name] for name in ("title", "programme", "description", "starts_on", "ends_on")
        }
        if form.instance.pk is None:
            return tasks_workflow.create_task(by=self.request.user, targets=form.new_pairs(), **fields)
        return tasks_workflow.update_task(
            form.instance,
            by=self.request.user,
            targets=formsets["targets"].wanted_pairs() + form.new_pairs(),
            expected_updated_at=form.expected_updated_at,
            **fields,
        )


def _register_url(target):
    return f"{reverse('demands:register')}?target={target.pk}"


class TaskDetailView(ObjectDetailView):
    """The task with the targets the user sees: specialist, status, attempts, linked demand.
    A specialist sees only their own targets and records attempts from here."""

    model = SpecialTask
    template_name = "demands/task_detail.html"

    def can_change(self, obj):
        return tasks_workflow.may_manage_tasks(self.request.user) and super().can_change(obj)

    def extra_context(self, obj):
        request, user = self.request, self.request.user
        scope = get_scope(user)
        visible = tasks_workflow.targets_visible_to(user).filter(task=obj)
        progress = tasks_workflow.progress_of(visible)
        filters = TargetFilterForm(request.GET)
        targets = visible
        if filters.is_valid():
            if filters.cleaned_data["status"]:
                targets = targets.filter(status=filters.cleaned_data["status"])
            if filters.cleaned_data["q"]:
                targets = targets.filter(enterprise__name__icontains=filters.cleaned_data["q"])
        targets = (
            targets.select_related("enterprise__district", "specialist", "demand")
            .annotate(attempt_count=Count("attempts"), last_contacted_on=Max("attempts__contacted_on"))
            .prefetch_related(
                Prefetch(
                    "attempts",
                    queryset=ContactAttempt.objects.select_related("recorded_by").order_by("-contacted_on", "-pk"),
                )
            )
            .order_by("enterprise__name", "pk")
        )
        page = Paginator(targets, TARGETS_PER_PAGE).get_page(request.GET.get("page"))
        demand_ids = [t.demand_id for t in page if t.demand_id]
        visible_demands = set(Demand.objects.restrict(user).filter(pk__in=demand_ids).values_list("pk", flat=True))
        for target in page:
            target.badge = TARGET_BADGES.get(target.status, "secondary")
            target.is_mine = scope.is_specialist and target.specialist_id == scope.specialist_id
            target.demand_visible = target.demand_id in visible_demands
            target.register_url = _register_url(target) if target.is_mine and not target.demand_id else None
        query = request.GET.copy()
        query.pop("page", None)
        today = timezone.localdate()
        return {
            "progress": progress,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "only_mine": scope.is_specialist and not (scope.is_agency or scope.sees_everything),
            "period_state": "upcoming" if obj.starts_on > today else ("ended" if obj.ends_on < today else "current"),
            "demand_count": obj.demands.filter(pk__in=Demand.objects.restrict(user)).count(),
        }


def _own_target(request, pk):
    """The target if the user sees it (else 404) and is its specialist (else 403)."""
    target = (
        tasks_workflow.targets_visible_to(request.user)
        .select_related("task", "enterprise", "specialist", "demand")
        .filter(pk=pk)
        .first()
    )
    if target is None:
        raise Http404
    if target.specialist.user_id != request.user.pk:
        raise PermissionDenied
    return target


@login_required
def target_attempt(request, pk):
    """The specialist records an attempt to reach a target enterprise (date, method, outcome, notes)."""
    target = _own_target(request, pk)
    form = ContactAttemptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tasks_workflow.record_contact_attempt(target, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已记录对 %(name)s 的联系情况。") % {"name": target.enterprise.name})
            return redirect(f"{target.task.get_absolute_url()}#target-{target.pk}")
    if request.method == "POST":
        messages.error(request, _("提交未保存，请按提示修正后重试。"))
    attempts = target.attempts.select_related("recorded_by").order_by("-contacted_on", "-pk")
    return render(
        request,
        "demands/task_attempt.html",
        {
            "target": target,
            "task": target.task,
            "form": form,
            "attempts": attempts,
            "badge": TARGET_BADGES.get(target.status, "secondary"),
            "register_url": None if target.demand_id else _register_url(target),
        },
    )


@login_required
def enterprise_search(request):
    """htmx: enterprises in the user's scope matching ?q=, as checkboxes to add to a task
    (those already on the task named by ?task= are left out)."""
    if not tasks_workflow.may_manage_tasks(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    in_scope = Enterprise.objects.restrict(request.user).select_related("district")
    # The ticked ones stay ticked when the search changes.
    ticked = [v for v in request.GET.getlist("enterprises") if v.isdigit()][:500]
    selected = list(in_scope.filter(pk__in=ticked).order_by("name", "pk")) if ticked else []
    results = []
    if q:
        found = in_scope.filter(Q(name__icontains=q) | Q(credit_code__icontains=q)).exclude(pk__in=ticked)
        task_id = request.GET.get("task", "")
        if task_id.isdigit():
            found = found.exclude(task_targets__task_id=int(task_id))
        results = list(found.order_by("name", "pk")[:SEARCH_LIMIT])
    return render(
        request,
        "demands/task_enterprise_options.html",
        {"selected": selected, "results": results, "q": q, "limit": SEARCH_LIMIT},
    )


urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="task_list"),
    path("tasks/new/", TaskEditView.as_view(), name="task_create"),
    path("tasks/enterprise-search/", enterprise_search, name="task_enterprise_search"),
    path("tasks/<int:pk>/", TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", TaskEditView.as_view(), name="task_edit"),
    path("tasks/targets/<int:pk>/attempt/", target_attempt, name="target_attempt"),
]
