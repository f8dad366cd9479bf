"""Matching pages: the ranked, explained suggestions for a demand, one-click assignment,
the institutions for an escalation, and the agency's weights (4.1, 4.4, 8.4.2 b)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.core.forms import StyledFormMixin
from qiservice.core.services import save_audited
from qiservice.core.visibility import get_scope

from . import matching
from .models import MatchingWeights, Specialist


def _demand_for_agency(request, pk):
    from qiservice.demands.models import Demand
    from qiservice.demands.workflow import is_agency_for

    demand = Demand.objects.get_for(request.user, pk, "change")
    if not is_agency_for(get_scope(request.user), demand):
        raise PermissionDenied
    return demand


@login_required
def suggestions(request, demand_pk):
    """The ranked specialists for a demand, factor by factor, with one-click assignment."""
    demand = _demand_for_agency(request, demand_pk)
    ranking = matching.rank_for_demand(demand, user=request.user, limit=10)
    return render(request, "specialists/match.html", {"demand": demand, "ranking": ranking})


@login_required
@require_POST
def assign_suggested(request, demand_pk, specialist_pk):
    from qiservice.demands import workflow

    demand = _demand_for_agency(request, demand_pk)
    specialist = Specialist.objects.get_for(request.user, specialist_pk)
    try:
        workflow.assign(
            demand, specialist, by=request.user, note=_("按匹配推荐指派"), expected_version=request.POST.get("version")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("specialists:match", demand_pk=demand.pk)
    messages.success(request, _("已指派给 %(name)s，等待其确认。") % {"name": specialist.name})
    return redirect(demand)


@login_required
def institution_suggestions(request, demand_pk):
    """The ranked institutions for an escalated demand; the agency dispatches from here."""
    from qiservice.demands import workflow
    from qiservice.demands.choices import DemandStatus
    from qiservice.institutions.matching import rank_for_escalation
    from qiservice.institutions.models import Institution

    demand = _demand_for_agency(request, demand_pk)
    if request.method == "POST":
        chosen = Institution.objects.filter(pk__in=request.POST.getlist("institutions"), is_active=True)
        try:
            workflow.dispatch(
                demand,
                by=request.user,
                institutions=list(chosen),
                note=request.POST.get("note", ""),
                expected_version=request.POST.get("version"),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已派单。"))
            return redirect(demand)
    return render(
        request,
        "specialists/match_institutions.html",
        {
            "demand": demand,
            "ranking": rank_for_escalation(demand),
            "can_dispatch": demand.status == DemandStatus.ESCALATED,
        },
    )


class WeightsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = MatchingWeights
        fields = ["field_weight", "district_weight", "load_weight", "record_weight", "text_weight", "auto_assign"]


@login_required
def weights(request):
    if not get_scope(request.user).is_agency_admin:
        raise PermissionDenied
    current = MatchingWeights.current()
    form = WeightsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            save_audited(form.save(commit=False), by=request.user)
        messages.success(request, _("匹配权重已保存。"))
        return redirect("specialists:weights")
    return render(request, "core/object_form.html", {"form": form, "formsets": {}, "title": _("匹配权重")})
