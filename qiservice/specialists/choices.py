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


class AdmissionRoute(models.TextChoices):
    """4.3 — how a specialist came to the pool."""

    APPLICATION = "application", _("个人申请")
    NOMINATION = "nomination", _("单位推荐")


class Proficiency(models.TextChoices):
    BASIC = "basic", _("了解")
    PROFICIENT = "proficient", _("熟悉")
    EXPERT = "expert", _("精通")


class TrainingForm(models.TextChoices):
    """5.4 — how a training is given."""

    CENTRALIZED = "centralized", _("集中授课")
    ONLINE = "online", _("线上授课")
    ONSITE_OBSERVATION = "onsite_observation", _("实地观摩")


class TrainingTopic(models.TextChoices):
    POLICY = "policy", _("政策法规")
    TECHNICAL = "technical", _("专业技术知识")
    SERVICE = "service", _("服务工作要求")
    COMMUNICATION = "communication", _("沟通技能")
    ETHICS = "ethics", _("职业道德")
