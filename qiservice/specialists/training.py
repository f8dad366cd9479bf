"""5.4 training and continuing education: sessions, attendance, yearly hours."""

import zipfile
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.validators import normalize_phone

from .choices import SpecialistStatus
from .models import PoolSettings, Specialist, TrainingAttendance

MAX_SHEET_BYTES = 5 * 1024 * 1024
MAX_SHEET_ROWS = 2000


@transaction.atomic
def save_training(training, *, by, expected_updated_at=None):
    if training.pk is None:
        training.created_by = by
    return save_audited(training, by=by, expected_updated_at=expected_updated_at)


@transaction.atomic
def set_attendance(training, specialists, *, by):
    """Record exactly these specialists as present (each credited the training's hours)."""
    wanted = {s.pk for s in specialists}
    current = set(training.attendances.values_list("specialist_id", flat=True))
    removed = current - wanted
    added = wanted - current
    training.attendances.filter(specialist_id__in=removed).delete()
    TrainingAttendance.objects.bulk_create(
        TrainingAttendance(training=training, specialist_id=pk, hours=training.hours, recorded_by=by) for pk in added
    )
    if added or removed:
        audit.record(AuditEvent.UPDATED, training, actor=by, changes={"attendance": [sorted(current), sorted(wanted)]})
    return len(added), len(removed)


def read_sign_in_sheet(upload, specialists):
    """Match the rows of a sign-in sheet (.xlsx: columns 姓名 and 手机号/联系电话) to specialists.

    Returns (matched specialists, report rows [(row number, name, phone, result)])."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if upload.size > MAX_SHEET_BYTES:
        raise ValidationError(_("签到表不能超过 5 MB。"))
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        raise ValidationError(_("请上传 Excel 签到表（.xlsx 格式）。"))
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ValidationError(_("无法读取该 Excel 文件，文件可能已损坏或已加密。")) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows, [])]
    name_col = header.index("姓名") if "姓名" in header else None
    phone_col = next((header.index(h) for h in ("手机号", "联系电话", "手机") if h in header), None)
    if name_col is None:
        raise ValidationError(_("签到表第一行须有“姓名”列（可另有“手机号”列）。"))
    by_phone, by_name = {}, {}
    for s in specialists:
        by_phone.setdefault(normalize_phone(s.phone), []).append(s)
        by_name.setdefault(s.name, []).append(s)
    matched, report = [], []
    for number, row in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS:
            raise ValidationError(_("签到表行数过多（最多 %(n)d 行）。") % {"n": MAX_SHEET_ROWS})
        name = str(row[name_col] or "").strip()[:50] if name_col < len(row) else ""
        phone = normalize_phone(str(row[phone_col] or "")) if phone_col is not None and phone_col < len(row) else ""
        if not name and not phone:
            continue
        same_phone = by_phone.get(phone, []) if phone else []
        specialist = same_phone[0] if len(same_phone) == 1 else None
        if specialist is None and len(same_phone) > 1:
            specialist = next((s for s in same_phone if s.name == name), None)
        if specialist is None:
            candidates = by_name.get(name, [])
            specialist = candidates[0] if len(candidates) == 1 else None
            result = _("同名专员多于一人，请填写手机号") if len(candidates) > 1 else _("未找到该专员")
        if specialist is not None:
            matched.append(specialist)
            result = _("已匹配：%(name)s") % {"name": specialist.name}
        report.append((number, name, phone, result))
    return matched, report


def hours_this_year(specialist_ids=None, year=None):
    year = year or timezone.localdate().year
    qs = TrainingAttendance.objects.filter(training__held_on__year=year)
    if specialist_ids is not None:
        qs = qs.filter(specialist_id__in=specialist_ids)
    return {
        row["specialist_id"]: row["total"] or Decimal(0)
        for row in qs.values("specialist_id").annotate(total=Sum("hours"))
    }


def hours_report(user, year=None, only_below=False):
    """Active specialists in the user's scope with their hours this year and the requirement."""
    required = Decimal(PoolSettings.current().yearly_training_hours)
    specialists = list(
        Specialist.objects.restrict(user).filter(status=SpecialistStatus.ACTIVE).select_related("district")
    )
    hours = hours_this_year([s.pk for s in specialists], year)
    rows = [(s, hours.get(s.pk, Decimal(0))) for s in specialists]
    rows.sort(key=lambda r: (r[1], r[0].name))
    if only_below:
        rows = [r for r in rows if r[1] < required]
    return rows, required


def parse_hours(value):
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        return None
    return hours if Decimal("0.5") <= hours <= Decimal("200") else None
