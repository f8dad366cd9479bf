from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from qiservice.core.masking import annotate_contact, can_see_contact, shown
from qiservice.core.picker import picker_response
from qiservice.core.tables import Column, ContactColumn
from qiservice.core.views import ObjectDetailView, ObjectEditView, ObjectListView, ScopedObjectMixin
from qiservice.core.visibility import get_scope
from qiservice.evaluations.stats import specialist_satisfaction

from . import workflow
from .choices import SpecialistStatus
from .filtersets import SpecialistFilterSet
from .forms import SpecialistFieldFormSet, SpecialistForm, StatusChangeForm
from .models import Specialist


def manages_pool(user, specialist=None):
    """Agency admins manage the whole pool, agency staff their districts' specialists."""
    scope = get_scope(user)
    if scope.is_agency_admin:
        return True
    if not scope.is_agency_staff:
        return False
    return specialist is None or specialist.district_id in scope.district_ids


class SpecialistListView(ObjectListView):
    model = Specialist
    title = gettext_lazy("服务专员库")
    filterset_class = SpecialistFilterSet
    search_fields = ("name", "employer", "expertise", "qualifications")
    default_sort = ("name", "pk")
    create_url = "specialists:create"
    export_name = "specialists"
    columns = (
        Column("name", gettext_lazy("姓名"), sort="name", link=True, primary=True),
        Column("district", gettext_lazy("所属区"), sort="district__code"),
        Column("employer", gettext_lazy("工作单位"), sort="employer"),
        ContactColumn("phone", gettext_lazy("联系电话")),
        Column("field_labels", gettext_lazy("专业领域")),
        Column("capacity", gettext_lazy("承接上限"), sort="capacity"),
        Column("status", gettext_lazy("状态"), sort="status", badge=SpecialistStatus.badge),
    )

    def get_queryset(self):
        queryset = super().get_queryset().select_related("district").prefetch_related("fields")
        return annotate_contact(queryset, self.request.user)

    def filter_queryset(self, queryset):
        queryset, filterset = super().filter_queryset(queryset)
        return queryset.distinct(), filterset

    def can_create(self):
        return manages_pool(self.request.user)


@login_required
def picker(request):
    """The specialist picker of the list filters (core/picker.py): the specialists the user
    may see, e.g. a district's officer those of the district, by part of their name."""
    return picker_response(
        request,
        Specialist.objects.restrict(request.user).select_related("district").only("name", "employer", "district__name"),
        url_name="specialists:picker",
        detail=lambda s: " · ".join(part for part in (s.district.name, s.employer) if part),
    )


class SpecialistDetailView(ObjectDetailView):
    model = Specialist
    template_name = "specialists/specialist_detail.html"

    def extra_context(self, obj):
        manages = manages_pool(self.request.user, obj)
        full = can_see_contact(self.request.user, obj)
        return {
            "phone": shown(obj.phone, full),
            "email": shown(obj.email, full),
            "sees_contact": full,
            "fields": obj.fields.all(),
            "status_changes": obj.status_changes.select_related("changed_by"),
            "status_form": StatusChangeForm(specialist=obj) if manages else None,
            "satisfaction": self.satisfaction(obj, manages),
            "training": self.training(obj, manages),
        }

    def training(self, obj, manages):
        """5.4 — this year's training hours against the requirement, for the same viewers."""
        from . import training
        from .models import PoolSettings

        scope = get_scope(self.request.user)
        if not (manages or scope.sees_everything or scope.specialist_id == obj.pk):
            return None
        hours = training.hours_this_year([obj.pk]).get(obj.pk, 0)
        required = PoolSettings.current().yearly_training_hours
        return {"hours": hours, "required": required, "below": hours < required}

    def satisfaction(self, obj, manages):
        """Appendix C figures (8.6.1): for the agency, auditors and the specialist themself."""
        scope = get_scope(self.request.user)
        if manages or scope.sees_everything or scope.specialist_id == obj.pk:
            return specialist_satisfaction(obj, self.request.user)
        return None


class SpecialistEditView(ObjectEditView):
    model = Specialist
    form_class = SpecialistForm
    title_create = gettext_lazy("新增服务专员")
    title_edit = gettext_lazy("编辑服务专员")

    def may_create(self):
        return manages_pool(self.request.user)

    def new_object(self):
        return Specialist(status=SpecialistStatus.APPLICANT)

    def get_formsets(self, obj, data=None):
        return {"fields": SpecialistFieldFormSet(data=data, instance=obj, prefix="fields")}

    def save(self, form, formsets):
        fields = [
            f.save(commit=False)
            for f in formsets["fields"].forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        specialist = form.save(commit=False)
        if specialist.pk is None:
            specialist, password = workflow.create_specialist(
                specialist, username=form.cleaned_data["username"], by=self.request.user, fields=fields
            )
            messages.info(
                self.request,
                _(
                    "已为 %(name)s 创建登录账号 %(username)s，初始密码：%(password)s（仅显示一次，请转告本人登录后修改）。"  # noqa: E501
                )
                % {"name": specialist.name, "username": form.cleaned_data["username"], "password": password},
            )
            return specialist
        return workflow.save_specialist(
            specialist, by=self.request.user, fields=fields, expected_updated_at=form.expected_updated_at
        )


class SpecialistStatusView(ScopedObjectMixin, View):
    """POST: change a specialist's status (agency only)."""

    model = Specialist
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk):
        specialist = self.get_object(pk)
        if not manages_pool(request.user, specialist):
            raise PermissionDenied
        form = StatusChangeForm(request.POST, specialist=specialist)
        if form.is_valid():
            try:
                workflow.change_status(
                    specialist,
                    form.cleaned_data["to_status"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    term_ends_on=form.cleaned_data["term_ends_on"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("状态已变更。"))
                return redirect(specialist)
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(specialist)
