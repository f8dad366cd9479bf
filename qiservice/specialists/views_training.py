"""Pages of training (5.4) and the pool's rules (4.3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.core.services import save_audited
from qiservice.core.tables import Column
from qiservice.core.views import ObjectEditView, ObjectListView
from qiservice.core.visibility import get_scope

from . import training
from .choices import SpecialistStatus, TrainingTopic
from .forms_training import PoolSettingsForm, SignInSheetForm, TrainingEditForm
from .models import PoolSettings, Specialist, Training


def _agency(user):
    return get_scope(user).is_agency


class TrainingQuerysetMixin:
    """Everyone in the pool sees the training calendar; the agency edits it."""

    def training_queryset(self):
        scope = get_scope(self.request.user)
        if scope.is_agency or scope.is_auditor or scope.is_specialist:
            return Training.objects.all()
        return Training.objects.none()


class TrainingListView(TrainingQuerysetMixin, ObjectListView):
    model = Training
    title = gettext_lazy("业务培训")
    search_fields = ("title", "organiser", "materials")
    default_sort = ("-held_on", "-pk")
    create_url = "specialists:training_create"
    template_name = "specialists/training_list.html"
    columns = (
        Column("title", gettext_lazy("培训名称"), sort="title", link=True, primary=True),
        Column("form", gettext_lazy("形式"), sort="form"),
        Column("held_on", gettext_lazy("日期"), sort="held_on"),
        Column("hours", gettext_lazy("学时"), sort="hours"),
        Column("organiser", gettext_lazy("组织单位")),
    )

    def has_permission(self):
        scope = get_scope(self.request.user)
        return scope.is_agency or scope.is_auditor or scope.is_specialist

    def get_queryset(self):
        return self.training_queryset()

    def can_create(self):
        return _agency(self.request.user)

    def extra_context(self):
        scope = get_scope(self.request.user)
        context = {"required": PoolSettings.current().yearly_training_hours}
        if scope.is_specialist:
            context["my_hours"] = training.hours_this_year([scope.specialist_id]).get(scope.specialist_id, 0)
        return context


class TrainingEditView(ObjectEditView):
    model = Training
    form_class = TrainingEditForm
    title_create = gettext_lazy("新增培训")
    title_edit = gettext_lazy("编辑培训")

    def get_object(self, pk, action=None):
        if not _agency(self.request.user):
            raise PermissionDenied
        obj = Training.objects.filter(pk=pk).first()
        if obj is None:
            raise Http404
        return obj

    def may_create(self):
        return _agency(self.request.user)

    def save(self, form, formsets):
        return training.save_training(
            form.save(commit=False), by=self.request.user, expected_updated_at=form.expected_updated_at
        )


def _training(request, pk):
    scope = get_scope(request.user)
    if not (scope.is_agency or scope.is_auditor or scope.is_specialist):
        raise PermissionDenied
    obj = Training.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@login_required
def training_detail(request, pk):
    """The session and its attendance; the agency ticks who came or imports the sign-in sheet."""
    session = _training(request, pk)
    scope = get_scope(request.user)
    pool = Specialist.objects.restrict(request.user).filter(status=SpecialistStatus.ACTIVE).order_by("name")
    present = set(session.attendances.values_list("specialist_id", flat=True))
    report = None
    if request.method == "POST":
        if not scope.is_agency:
            raise PermissionDenied
        if "sheet" in request.FILES:
            form = SignInSheetForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    matched, report = training.read_sign_in_sheet(form.cleaned_data["sheet"], list(pool))
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                else:
                    with transaction.atomic():
                        added, _removed = training.set_attendance(
                            session, list(pool.filter(pk__in=present)) + matched, by=request.user
                        )
                    messages.success(request, _("已从签到表导入 %(n)d 人。") % {"n": added})
                    present = set(session.attendances.values_list("specialist_id", flat=True))
        else:
            chosen = pool.filter(pk__in=request.POST.getlist("present"))
            with transaction.atomic():
                # Only the specialists the user may see are touched; others' attendance stays.
                kept = list(session.attendances.exclude(specialist__in=pool).values_list("specialist_id", flat=True))
                training.set_attendance(
                    session, list(chosen) + list(Specialist.objects.filter(pk__in=kept)), by=request.user
                )
            messages.success(request, _("签到已保存。"))
            return redirect(session)
    visible = session.attendances.filter(specialist__in=Specialist.objects.restrict(request.user)).select_related(
        "specialist"
    )
    return render(
        request,
        "specialists/training_detail.html",
        {
            "object": session,
            "topics": [label for value, label in TrainingTopic.choices if value in session.topics],
            "pool": pool if scope.is_agency else [],
            "present": present,
            "attendances": visible,
            "can_change": scope.is_agency,
            "sheet_form": SignInSheetForm(),
            "report": report,
        },
    )


@login_required
def training_hours(request):
    """The agency's view of each specialist's hours this year against the requirement."""
    scope = get_scope(request.user)
    if not (scope.is_agency or scope.is_auditor):
        raise PermissionDenied
    year = timezone.localdate().year
    rows, required = training.hours_report(request.user, year, only_below=request.GET.get("below") == "1")
    return render(
        request,
        "specialists/training_hours.html",
        {"rows": rows, "required": required, "year": year, "below": request.GET.get("below") == "1"},
    )


@login_required
def pool_rules(request):
    """4.3 — the agency's selection and assessment rules, readable by the whole pool."""
    settings_row = PoolSettings.current()
    return render(
        request,
        "specialists/rules.html",
        {"rules": settings_row, "can_change": get_scope(request.user).is_agency_admin},
    )


@login_required
def pool_rules_edit(request):
    if not get_scope(request.user).is_agency_admin:
        raise PermissionDenied
    settings_row = PoolSettings.current()
    form = PoolSettingsForm(request.POST or None, instance=settings_row)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            row = form.save(commit=False)
            row.updated_by = request.user
            save_audited(row, by=request.user)
        messages.success(request, _("已保存。"))
        return redirect("specialists:rules")
    return render(
        request, "core/object_form.html", {"form": form, "formsets": {}, "title": _("服务专员选择与评价管理制度")}
    )
