import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import EvaluationChannel, Rating

SALT = "qiservice.evaluation-invitation"


class EvaluationInvitation(models.Model):
    """8.6.1 — an invitation to rate the service: a single-use, expiring, unguessable link
    that needs no login.

    The link's token is signed with the SECRET_KEY over the row's id and a random nonce,
    so it cannot be guessed or forged, yet the specialist can show the same link and QR
    code again; reissuing revokes the old one."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="evaluation_invitations")
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(_("发出时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+", verbose_name=_("发出人")
    )

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.demand} 评价邀请"

    @classmethod
    def issue(cls, demand, *, by=None, days=None):
        days = days or settings.EVALUATION_LINK_DAYS
        return cls.objects.create(
            demand=demand,
            nonce=secrets.token_hex(16),
            expires_at=timezone.now() + timezone.timedelta(days=days),
            created_by=by,
        )

    @property
    def token(self):
        return signing.dumps([self.pk, self.nonce], salt=SALT, compress=True)

    @classmethod
    def from_token(cls, token):
        """The invitation a token names, or None for a forged or malformed token."""
        try:
            pk, nonce = signing.loads(token, salt=SALT)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        return cls.objects.select_related("demand").filter(pk=pk, nonce=nonce).first()

    @property
    def is_usable(self):
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Evaluation(models.Model):
    """Appendix C — the enterprise's satisfaction evaluation of the specialist's service.
    One per demand; total = the sum of the five items (0–50)."""

    demand = models.OneToOneField("demands.Demand", models.PROTECT, related_name="evaluation")
    specialist = models.ForeignKey(
        "specialists.Specialist", models.PROTECT, null=True, related_name="evaluations", verbose_name=_("服务专员")
    )
    conduct = models.PositiveSmallIntegerField(_("遵纪守法"), choices=Rating.choices)
    attitude = models.PositiveSmallIntegerField(_("服务态度"), choices=Rating.choices)
    competence = models.PositiveSmallIntegerField(_("服务能力"), choices=Rating.choices)
    timeliness = models.PositiveSmallIntegerField(_("服务时效"), choices=Rating.choices)
    result = models.PositiveSmallIntegerField(_("服务结果"), choices=Rating.choices)
    total = models.PositiveSmallIntegerField(_("总分"), editable=False)
    suggestions = models.TextField(_("其他建议"), blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    evaluator_name = models.CharField(_("评价人"), max_length=50, blank=True)
    channel = models.CharField(_("评价方式"), max_length=10, choices=EvaluationChannel.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("提交账号")
    )
    invitation = models.ForeignKey(
        EvaluationInvitation, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("评价邀请")
    )
    submitted_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__lte=50), name="evaluation_total_at_most_50"),
        ]
        # The statistics (reports): evaluations submitted in a period.
        indexes = [models.Index(fields=["submitted_at"], name="evaluation_submitted")]

    def __str__(self):
        return f"{self.demand} 评价 {self.total}"

    def save(self, *args, **kwargs):
        self.total = self.conduct + self.attitude + self.competence + self.timeliness + self.result
        super().save(*args, **kwargs)
