"""The demand list, the registration form (8.1, Appendix A), the enterprise picker and the
"my work" page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from qiservice.core.masking import annotate_contact
from qiservice.core.tables import Column, ContactColumn
from qiservice.core.views import ObjectListView
from qiservice.core.visibility import get_scope
from qiservice.enterprises.workflow import save_enterprise

from .. import workflow
from ..choices import DemandStatus
from ..filtersets import DemandFilterSet, search_demands
from ..forms.registration import (
    NEW,
    PICKER_LIMIT,
    NewEnterpriseForm,
    RegistrationForm,
    enterprise_label,
    search_enterprises,
)
from ..home import waiting_work
from ..models import Demand, TaskTarget


class OptionalColumn(Column):
    """A column whose empty cell says why it is empty (e.g. no specialist yet)."""

    def __init__(self, *args, empty, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty = empty

    def render(self, obj):
        if self.value(obj) == "":
            return format_html('<span class="text-body-secondary">{}</span>', self.empty)
        return super().render(obj)


class DeadlineColumn(Column):
    """The nearest open time limit: red when overdue, yellow when near (issue: deadlines)."""

    def render(self, obj):
        from qiservice.deadlines.templatetags.deadlines import deadline_badge

        return deadline_badge(obj)


def may_register(user):
    """Agency staff and admins register what reaches them; specialists what they collect (8.1)."""
    scope = get_scope(user)
    return scope.is_agency or scope.is_specialist


# --- the list ---------------------------------------------------------------------------------


# The filters folded away on a phone (shown open when one of them is set).
MORE_FILTERS = ("source", "district", "specialist", "institution", "special_task", "registered_from", "registered_to")
# Filters set only by the statistics' drill-down links: kept as hidden fields and named
# above the list, so the user sees why the list holds these rows.
DRILL_FILTERS = (
    "evaluated_from",
    "evaluated_to",
    "deadline_outcome",
    "deadline_stage",
    "deadline_due_from",
    "deadline_due_to",
)


# The fields the list's columns read (DemandListView.display_queryset).
SHOWN = (
    "number",
    "status",
    "source",
    "contact_phone",
    "registered_on",
    "registered_at",
    "enterprise__name",
    "district__name",
    "specialist__name",
)


class DemandListView(ObjectListView):
    model = Demand
    title = gettext_lazy("服务需求")
    template_name = "demands/list.html"
    filterset_class = DemandFilterSet
    default_sort = ("-registered_at", "-pk")
    create_url = "demands:register"
    export_name = "demands"
    # Searched by `search_demands` (number, enterprise name, description), not by the base
    # view's search_fields; see filter_queryset.
    searched = ("number", "enterprise__name", "description")

    def get(self, request):
        if get_scope(request.user).is_enterprise_only:  # their demands: the portal
            return redirect("portal:home")
        if request.htmx and request.htmx.target == "demand-results":
            # The filter form's own request: the rows and what the form shows of the answer,
            # not the page around them (the menu, the form itself).
            self.template_name = "demands/list_update.html"
        return super().get(request)

    columns = (
        Column("number", gettext_lazy("编号"), sort="number", link=True, primary=True),
        Column("enterprise", gettext_lazy("服务对象")),
        ContactColumn("contact_phone", gettext_lazy("联系电话")),
        Column("category_labels", gettext_lazy("需求类别")),
        Column("source", gettext_lazy("来源")),
        Column("district", gettext_lazy("所在区")),
        OptionalColumn("specialist", gettext_lazy("服务专员"), empty=gettext_lazy("未指派")),
        Column("status", gettext_lazy("状态"), sort="status", badge=DemandStatus.badge),
        DeadlineColumn("open_deadlines", gettext_lazy("时限")),
        Column("registered_on", gettext_lazy("登记日期"), sort="registered_at"),
    )

    def get_queryset(self):
        return annotate_contact(super().get_queryset(), self.request.user)

    def display_queryset(self, queryset):
        # Only what the columns show: a demand row is some twenty columns, and its
        # enterprise as many again.
        return queryset.select_related("enterprise", "district", "specialist").only(*SHOWN)

    def decorate(self, rows):
        """Each row's categories and open time limits, one plain query each (no prefetch:
        its per-row querysets cost more than the queries)."""
        from qiservice.deadlines.models import Deadline

        from ..models import DemandCategory

        ids = [demand.pk for demand in rows]
        categories, deadlines = {}, {}
        in_page = DemandCategory.objects.filter(demand_id__in=ids)
        for demand_id, category in in_page.values_list("demand_id", "category"):
            categories.setdefault(demand_id, []).append(category)
        open_deadlines = Deadline.objects.open().filter(demand_id__in=ids).order_by("due_on", "pk")
        for deadline in open_deadlines.only("demand_id", "stage", "due_on", "remind_on"):
            deadlines.setdefault(deadline.demand_id, []).append(deadline)
        for demand in rows:
            demand.category_values = categories.get(demand.pk, [])
            demand.open_deadlines = deadlines.get(demand.pk, [])

    def filter_queryset(self, queryset):
        queryset, filterset = super().filter_queryset(queryset)
        return search_demands(queryset, self.request.GET.get("q")), filterset

    def can_create(self):
        return may_register(self.request.user)

    def extra_context(self):
        return {
            "search_fields": self.searched,
            "more_filters": [self.filterset.form[name] for name in MORE_FILTERS],
            "more_active": any(self.request.GET.get(name) for name in MORE_FILTERS),
            "drill_filters": [
                (name, self.request.GET[name], self.drill_label(name))
                for name in DRILL_FILTERS
                if self.request.GET.get(name)
            ],
        }

    def drill_label(self, name):
        field = DemandFilterSet.base_filters[name]
        value = self.request.GET[name]
        choices = dict(field.extra.get("choices") or ())
        return f"{field.label}：{choices.get(value, value)}"


# --- registration ------------------------------------------------------------------------------


class RegisterDemandView(LoginRequiredMixin, View):
    """8.1 — register a demand (Appendix A), for an enterprise of the registry or one
    registered on the spot; optionally a special task's target enterprise (?target=)."""

    template_name = "demands/register.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_register(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_target(self):
        """The special task's target named by ?target=, when it is the user's own (a
        target of another specialist, or an unknown id, is not found)."""
        value = self.request.GET.get("target") or self.request.POST.get("target")
        if not value:
            return None
        scope = get_scope(self.request.user)
        try:
            pk = int(value)
        except ValueError:
            raise Http404 from None
        target = (
            TaskTarget.objects.select_related("task", "enterprise__district")
            .filter(pk=pk, specialist_id=scope.specialist_id)
            .first()
            if scope.is_specialist
            else None
        )
        if target is None:
            raise Http404(_("该专项任务对象不存在，或不是您负责联系的企业。"))
        return target

    def forms(self, data=None):
        user, target = self.request.user, self.get_target()
        form = RegistrationForm(data=data, user=user, target=target)
        if data is None and self.request.GET.get("enterprise_mode") == NEW and target is None:
            form.initial["enterprise_mode"] = NEW
        new_enterprise = NewEnterpriseForm(data=data if form.mode == NEW else None, user=user)
        return form, new_enterprise

    def render(self, form, new_enterprise):
        context = {
            "form": form,
            "new_enterprise": new_enterprise,
            "target": form.target,
            "today": timezone.localdate(),
            "title": _("登记需求"),
        }
        if self.request.htmx and self.request.htmx.target == "enterprise-section":
            return render(self.request, "demands/register_enterprise.html", context)
        return render(self.request, self.template_name, context)

    def get(self, request):
        return self.render(*self.forms())

    def post(self, request):
        form, new_enterprise = self.forms(request.POST)
        creating = form.mode == NEW
        if form.is_valid() and (not creating or new_enterprise.is_valid()):
            try:
                demand = self.save(form, new_enterprise if creating else None)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("需求已登记，编号 %(number)s。") % {"number": demand.number})
                return redirect(demand.get_absolute_url())
        messages.error(request, _("需求未登记，请按提示修正后重试。"))
        return self.render(form, new_enterprise)

    def save(self, form, new_enterprise):
        """One transaction: the new enterprise (when registered on the spot) and the demand."""
        data = form.register_kwargs()
        with transaction.atomic():
            if new_enterprise is not None:
                enterprise = save_enterprise(
                    new_enterprise.enterprise(contact_name=data["contact_name"], contact_phone=data["contact_phone"]),
                    by=self.request.user,
                )
            else:
                enterprise = form.cleaned_data["enterprise"]
            return workflow.register_demand(enterprise=enterprise, by=self.request.user, **data)


@login_required
def enterprise_options(request):
    """The enterprise picker (htmx): <option>s of the enterprises matching ?q= (part of a
    name or a credit code) that the user may register a demand for."""
    if not may_register(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "")
    found = search_enterprises(request.user, q)
    return render(
        request,
        "demands/register_enterprise_options.html",
        {
            "options": [(e.pk, enterprise_label(e)) for e in found[:PICKER_LIMIT]],
            "more": len(found) > PICKER_LIMIT,
            "q": q.strip(),
        },
    )


# --- my work ---------------------------------------------------------------------------------


@login_required
def my_work(request):
    """What waits for the user, per role and stage, oldest first."""
    scope = get_scope(request.user)
    if scope.is_enterprise_only:
        return redirect("portal:home")
    return render(
        request,
        "demands/my_work.html",
        {"work": waiting_work(request.user, scope), "may_register": may_register(request.user)},
    )


urlpatterns = [
    path("", DemandListView.as_view(), name="list"),
    path("new/", RegisterDemandView.as_view(), name="register"),
    path("enterprise-options/", enterprise_options, name="enterprise_options"),
    path("my-work/", my_work, name="my_work"),
]
