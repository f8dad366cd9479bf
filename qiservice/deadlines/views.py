"""The agency admin's pages for time limits and the working-day calendar."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from qiservice.core import audit
from qiservice.core.visibility import get_scope

from .forms import HolidayForm, PolicyForm
from .models import DeadlinePolicy, Holiday


class AgencyAdminMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not get_scope(request.user).is_agency_admin:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SettingsView(AgencyAdminMixin, View):
    """Time-limit policies and the calendar on one page."""

    def get(self, request):
        year = int(request.GET.get("year") or timezone.localdate().year)
        return render(
            request,
            "deadlines/settings.html",
            {
                "policies": DeadlinePolicy.objects.all(),
                "year": year,
                "years": range(timezone.localdate().year - 1, timezone.localdate().year + 3),
                "days": Holiday.objects.filter(date__year=year),
                "next_year_missing": next_year_missing(),
            },
        )


def next_year_missing():
    """The next year, when the agency has not entered its holidays yet (else None)."""
    year = timezone.localdate().year + 1
    return None if Holiday.objects.filter(date__year=year).exists() else year


class PolicyEditView(AgencyAdminMixin, View):
    def _policy(self, pk):
        policy = DeadlinePolicy.objects.filter(pk=pk).first()
        if policy is None:
            raise Http404
        return policy

    def get(self, request, pk):
        policy = self._policy(pk)
        return render(
            request, "deadlines/form.html", {"form": PolicyForm(instance=policy), "title": policy.get_stage_display()}
        )

    def post(self, request, pk):
        policy = self._policy(pk)
        before = audit.snapshot(policy)
        form = PolicyForm(request.POST, instance=policy)
        if not form.is_valid():
            return render(request, "deadlines/form.html", {"form": form, "title": policy.get_stage_display()})
        with transaction.atomic():
            policy = form.save(commit=False)
            policy.updated_by = request.user
            policy.save()
            audit.record_save(policy, before, actor=request.user)
        messages.success(request, _("时限规则已保存，将用于此后进入该环节的需求。"))
        return redirect(reverse("deadlines:settings"))


class HolidayEditView(AgencyAdminMixin, View):
    def _holiday(self, pk):
        if pk is None:
            return Holiday()
        holiday = Holiday.objects.filter(pk=pk).first()
        if holiday is None:
            raise Http404
        return holiday

    def get(self, request, pk=None):
        holiday = self._holiday(pk)
        return render(
            request, "deadlines/form.html", {"form": HolidayForm(instance=holiday), "title": _("节假日与调休")}
        )

    def post(self, request, pk=None):
        holiday = self._holiday(pk)
        if request.POST.get("delete") and holiday.pk:
            with transaction.atomic():
                audit.record(audit.AuditEvent.DELETED, holiday, actor=request.user, changes=audit.snapshot(holiday))
                holiday.delete()
            messages.success(request, _("已删除。"))
            return redirect(reverse("deadlines:settings") + f"?year={holiday.date.year}")
        before = audit.snapshot(holiday) if holiday.pk else None
        form = HolidayForm(request.POST, instance=holiday)
        if not form.is_valid():
            return render(request, "deadlines/form.html", {"form": form, "title": _("节假日与调休")})
        with transaction.atomic():
            holiday = form.save()
            audit.record_save(holiday, before, actor=request.user)
        messages.success(request, _("已保存。"))
        return redirect(reverse("deadlines:settings") + f"?year={holiday.date.year}")
