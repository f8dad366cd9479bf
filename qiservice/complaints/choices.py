from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintStatus(models.TextChoices):
    """The complaint-handling steps (GB/T 19012 style): received, acknowledged to the
    complainant, investigated, answered, closed."""

    RECEIVED = "received", _("已接收")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    INVESTIGATED = "investigated", _("已调查")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")

    @classmethod
    def badge(cls, value):
        return {
            "received": "warning",
            "acknowledged": "info",
            "investigated": "primary",
            "answered": "success",
            "closed": "secondary",
        }.get(value, "light")


# The step that follows each status; the handling of a status must be done within its
# time limit (in working days, from the day the complaint entered that status).
NEXT_STATUS = {
    ComplaintStatus.RECEIVED: ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.ACKNOWLEDGED: ComplaintStatus.INVESTIGATED,
    ComplaintStatus.INVESTIGATED: ComplaintStatus.ANSWERED,
    ComplaintStatus.ANSWERED: ComplaintStatus.CLOSED,
}

# Working days allowed for the step out of each status; settings.COMPLAINT_TIME_LIMITS
# (same keys) overrides them.
DEFAULT_TIME_LIMITS = {
    ComplaintStatus.RECEIVED: 2,  # acknowledge receipt to the enterprise
    ComplaintStatus.ACKNOWLEDGED: 10,  # investigate
    ComplaintStatus.INVESTIGATED: 3,  # write and send the answer
    ComplaintStatus.ANSWERED: 5,  # close (the enterprise may still come back)
}

# The statuses in which the specialist complained about may read the complaint: before
# the answer they see nothing, so the investigation is not influenced and the
# complainant is protected; from the answer on they read the complaint and the answer.
SPECIALIST_VISIBLE = [ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED]
