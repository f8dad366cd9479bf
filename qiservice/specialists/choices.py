from django.db import models
from django.utils.translation import gettext_lazy as _


class SpecialistStatus(models.TextChoices):
    """A specialist's place in the pool (4.3 selection)."""

    APPLICANT = "applicant", _("申请中")
    ACTIVE = "active", _("在库")
    SUSPENDED = "suspended", _("暂停")
    RETIRED = "retired", _("退出")

    @classmethod
    def badge(cls, value):
        return {"applicant": "info", "active": "success", "suspended": "warning", "retired": "secondary"}[value]


# Which status may follow which (4.3: application → admitted → suspended / retired).
STATUS_TRANSITIONS = {
    SpecialistStatus.APPLICANT: {SpecialistStatus.ACTIVE, SpecialistStatus.RETIRED},
    SpecialistStatus.ACTIVE: {SpecialistStatus.SUSPENDED, SpecialistStatus.RETIRED},
    SpecialistStatus.SUSPENDED: {SpecialistStatus.ACTIVE, SpecialistStatus.RETIRED},
    SpecialistStatus.RETIRED: set(),
}


class Proficiency(models.TextChoices):
    BASIC = "basic", _("了解")
    PROFICIENT = "proficient", _("熟悉")
    EXPERT = "expert", _("精通")
