"""8.6.1 — the satisfaction evaluation (Appendix C): the public link, the enterprise's
login, the agency's entry of a paper form, the QR code and reissuing the link."""

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from qiservice.demands import workflow
from qiservice.demands.models import Demand

from . import access
from .choices import EvaluationChannel
from .forms import EvaluationForm
from .models import EvaluationInvitation
from .stats import item_scores


def public_url(request, invitation):
    """The absolute address of the no-login form, as the enterprise will open it."""
    return request.build_absolute_uri(reverse("evaluations:public", args=[invitation.token]))


def service_matter(demand):
    """`Demand.service_matter`; until it joins its lazy category labels as text (a
    TypeError there now), the same line built here."""
    try:
        return demand.service_matter
    except TypeError:
        labels = "、".join(str(label) for label in demand.category_labels) or _("质量基础设施")
        return f"{labels}服务（{demand.number}）"


def header(demand):
    """Appendix C's header: 服务对象 · 服务事项 · 联系人 · 联系电话 (masked)."""
    return {
        "enterprise": demand.enterprise.name,
        "service_matter": service_matter(demand),
        "contact_name": demand.contact_name,
        "contact_phone": access.mask_phone(demand.contact_phone),
        "specialist": demand.specialist.name if demand.specialist_id else "",
    }


def _unavailable(request, message, status):
    response = render(request, "evaluations/link_unavailable.html", {"message": message}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@method_decorator(never_cache, name="dispatch")
class PublicEvaluationView(View):
    """The form behind the invitation link: no login, one use, until it expires.

    A forged or unknown token is a 404; a used, revoked or expired link (or a demand no
    longer awaiting its evaluation) is a 410 with the reason, and nothing changes."""

    def _invitation(self, token):
        invitation = EvaluationInvitation.from_token(token)
        if invitation is None:
            return None, _unavailable(self.request, _("评价链接无效，请核对链接或联系服务专员。"), 404)
        problem = access.link_problem(invitation)
        if problem:
            return None, _unavailable(self.request, problem, 410)
        return invitation, None

    def _render(self, invitation, form, status=200):
        response = render(
            self.request,
            "evaluations/public_form.html",
            {"form": form, "header": header(invitation.demand), "expires_at": invitation.expires_at},
            status=status,
        )
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get(self, request, token):
        invitation, refused = self._invitation(token)
        if refused:
            return refused
        return self._render(invitation, EvaluationForm())

    def post(self, request, token):
        invitation, refused = self._invitation(token)
        if refused:
            return refused
        form = EvaluationForm(request.POST)
        if not form.is_valid():
            return self._render(invitation, form)
        try:
            evaluation = workflow.record_evaluation(
                invitation.demand,
                ratings=form.ratings(),
                channel=EvaluationChannel.LINK,
                by=request.user if request.user.is_authenticated else None,
                invitation=invitation,
                **form.extra(),
            )
        except workflow.WorkflowError as error:
            return _unavailable(request, " ".join(error.messages), 410)
        return render(
            request, "evaluations/public_thanks.html", {"evaluation": evaluation, "items": item_scores(evaluation)}
        )


class DemandEvaluationMixin(LoginRequiredMixin):
    """Looks the demand up in the user's scope (404 outside it)."""

    def get_demand(self, pk):
        return Demand.objects.get_for(self.request.user, pk, "view")


class LoggedInEvaluationView(DemandEvaluationMixin, View):
    """The same Appendix C form for a logged-in user: the enterprise's own contact
    (channel portal) or the agency typing in a paper form (channel paper)."""

    channel = None
    template_name = "evaluations/evaluate.html"

    def may(self, demand):
        if self.channel == EvaluationChannel.PORTAL:
            return access.is_enterprise_of(self.request.user, demand)
        return access.enters_paper(self.request.user, demand)

    def _demand(self, pk):
        demand = self.get_demand(pk)
        if not self.may(demand):
            raise PermissionDenied(
                _("只有该服务对象的用户可以评价。")
                if self.channel == EvaluationChannel.PORTAL
                else _("只有管理机构可以录入纸质评价表。")
            )
        return demand

    def _form(self, data=None):
        label = _("评价人（纸质表填写人）") if self.channel == EvaluationChannel.PAPER else None
        return EvaluationForm(data, evaluator_label=label)

    def _render(self, demand, form):
        unavailable = None
        if not access.awaits_evaluation(demand):
            unavailable = (
                _("该需求已评价，每项服务只能评价一次。")
                if hasattr(demand, "evaluation")
                else _("该需求当前不在评价阶段。")
            )
        return render(
            self.request,
            self.template_name,
            {
                "demand": demand,
                "form": form,
                "header": header(demand),
                "channel": self.channel,
                "is_paper": self.channel == EvaluationChannel.PAPER,
                "unavailable": unavailable,
                "back_url": self._back_url(demand),
            },
        )

    def _back_url(self, demand):
        """Where to go afterwards: a `next` on this site (the enterprise portal's page),
        else the demand page."""
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return demand.get_absolute_url()

    def get(self, request, pk):
        demand = self._demand(pk)
        return self._render(demand, self._form())

    def post(self, request, pk):
        demand = self._demand(pk)
        form = self._form(request.POST)
        if form.is_valid():
            try:
                evaluation = workflow.record_evaluation(
                    demand, ratings=form.ratings(), channel=self.channel, by=request.user, **form.extra()
                )
            except workflow.WorkflowError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("满意度评价已提交，总分 %(total)d / 50。") % {"total": evaluation.total})
                return redirect(self._back_url(demand))
        return self._render(demand, form)


class PortalEvaluationView(LoggedInEvaluationView):
    channel = EvaluationChannel.PORTAL


class PaperEvaluationView(LoggedInEvaluationView):
    channel = EvaluationChannel.PAPER


class ReissueView(DemandEvaluationMixin, View):
    """POST: revoke the current link and issue a new one (lost, forwarded or expired link)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        demand = self.get_demand(pk)
        if not access.manages_link(request.user, demand):
            raise PermissionDenied(_("您无权重新发送评价链接。"))
        try:
            workflow.reissue_invitation(demand, by=request.user)
        except workflow.WorkflowError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已生成新的评价链接和二维码，原链接已作废。"))
        return redirect(demand)


class QrCodeView(DemandEvaluationMixin, View):
    """The QR code (SVG) of the demand's current evaluation link, for those who may show it."""

    def get(self, request, pk):
        demand = self.get_demand(pk)
        if not access.manages_link(request.user, demand):
            raise PermissionDenied(_("您无权查看该需求的评价链接。"))
        invitation = access.current_invitation(demand)
        if invitation is None:
            raise Http404(_("该需求当前没有有效的评价链接。"))
        image = qrcode.make(
            public_url(request, invitation),
            image_factory=qrcode.image.svg.SvgPathFillImage,
            error_correction=qrcode.constants.ERROR_CORRECT_M,
            box_size=10,
            border=4,
        )
        buffer = io.BytesIO()
        image.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = f'inline; filename="evaluation-{demand.number}.svg"'
        return response
