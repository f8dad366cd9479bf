"""Enumerations shared by several apps. Stored values are the glossary's English words."""

from functools import lru_cache

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class QIField(models.TextChoices):
    """The quality-infrastructure fields: a demand's categories, a specialist's or an
    institution's fields of work (Appendix A 需求类别)."""

    METROLOGY = "metrology", _("计量")
    STANDARDIZATION = "standardization", _("标准化")
    INSPECTION_TESTING = "inspection_testing", _("检验检测")
    CERTIFICATION_ACCREDITATION = "certification_accreditation", _("认证认可")
    QUALITY_MANAGEMENT = "quality_management", _("质量管理")
    OTHER = "other", _("其他")


def qi_field_labels(values):
    """The Chinese labels of a list of stored QI field values, in the choices' order."""
    labels = labels_of(QIField)
    return [label for value, label in labels.items() if value in (values or ())]


def labels_of(choices):
    """{value: label} of a TextChoices class in the active language, made once per language:
    a list shows a label in every row (translating each lazy label each time adds up)."""
    return _labels_in(choices, get_language())


@lru_cache(maxsize=64)
def _labels_in(choices, language):
    return {value: str(label) for value, label in choices.choices}
