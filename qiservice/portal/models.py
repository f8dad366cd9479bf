from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from .choices import MessageSide


class MessageQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        """The enterprise's users see the messages of its demands; on the service side the
        agency (the demand's district), the demand's specialist and staff of an institution
        that accepted it; auditors read them. Nobody else, whatever the demand's scope."""
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=[])
        if scope.enterprise_ids:
            q |= Q(demand__enterprise_id__in=scope.enterprise_ids)
        if scope.district_ids:
            q |= Q(demand__district_id__in=scope.district_ids)
        if scope.is_specialist:
            q |= Q(demand__specialist_id=scope.specialist_id)
        if scope.institution_ids:
            from qiservice.demands.choices import DispatchStatus
            from qiservice.demands.models import Dispatch

            q |= Q(
                demand_id__in=Dispatch.objects.filter(
                    institution_id__in=scope.institution_ids, status=DispatchStatus.ACCEPTED
                ).values("demand_id")
            )
        return self.filter(q)

    def unread_for_enterprise(self):
        return self.filter(side=MessageSide.SERVICE, read_at__isnull=True)

    def unread_for_service(self):
        return self.filter(side=MessageSide.ENTERPRISE, read_at__isnull=True)


class Message(models.Model):
    """A message between the enterprise and those serving its demand (8.4.2 d 做好沟通).

    side      who wrote it: the enterprise's user, or the service side (specialist,
              institution, agency); the other side reads it.
    read_at   when someone of the other side first read it (null: unread).
    """

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="messages", verbose_name=_("需求"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("留言人"))
    side = models.CharField(_("留言方"), max_length=10, choices=MessageSide.choices)
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("留言")
        verbose_name_plural = _("留言")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["demand", "created_at"], name="message_demand_time")]

    def __str__(self):
        return f"{self.demand} {self.get_side_display()}: {self.text[:20]}"

    @property
    def is_from_enterprise(self):
        return self.side == MessageSide.ENTERPRISE
