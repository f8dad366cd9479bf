"""The import's rules: start a job from an upload, check it (the dry run), import it.

The dry run reads the stored workbook row by row through `rules.Checker` (the one source
of validation rules), in chunks of CHUNK rows, so memory stays flat however big the file,
and keeps the cleaned valid rows (`checked.py`). The import reads those back in chunks of
COMMIT_CHUNK and re-checks only what depends on the database. Enterprises are written by a
bulk path that writes the same rows and the same audit records as
`enterprises.workflow.save_enterprise`; demands go one by one through
`demands.workflow.register_demand` (numbering, deadlines, assignment, audit).
"""

import logging
import secrets
from itertools import islice

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit, bulk
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.enterprises.models import Enterprise
from qiservice.enterprises.workflow import save_enterprise

from . import checked, rules
from .choices import CommitMode, ImportKind, ImportStatus, RowStatus
from .models import ImportJob, ImportRow
from .spreadsheet import FileRefused, Sheet, check_container

log = logging.getLogger(__name__)

CHUNK = 1000
# The import's chunk: one re-check query and, in valid-only mode, one transaction each.
COMMIT_CHUNK = 5000


class ImportRefused(ValidationError):
    """A refused request (not allowed now, wrong mode): the message says why."""


def _progress_key(job_id):
    return f"imports:progress:{job_id}"


def progress(job):
    """Rows done by the running phase: the committed counter, or the cache's (an
    all-or-nothing import counts inside its one transaction, invisible to other readers)."""
    return max(job.rows_done, cache.get(_progress_key(job.pk)) or 0)


def _set_progress(job, done, *, save=True):
    job.rows_done = done
    cache.set(_progress_key(job.pk), done, 3600)
    if save:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)


def _chunks(iterable, size=CHUNK):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def open_sheet(job, fileobj):
    columns = rules.columns_for(job.kind)
    return Sheet(
        fileobj,
        job.file_size,
        headers=[c.header for c in columns],
        required=[c.header for c in columns if c.required],
        sheet_name=rules.sheet_name(job.kind),
    )


# --- upload -------------------------------------------------------------------------------


def start_import(*, kind, upload, by, ip=None):
    """Store an upload as a job and check it: small files at once, big ones on the queue.
    A file that is not a plain .xlsx (too big, encrypted, corrupt, macros, zip bomb…) is
    refused here with FileRefused, and nothing is stored."""
    if not rules.may_import(by):
        raise PermissionDenied(_("只有管理机构人员可以导入数据。"))
    if kind not in ImportKind.values:
        raise FileRefused(_("不支持的导入内容。"))
    check_container(upload, upload.size)
    now = timezone.now()
    job = ImportJob(
        token=secrets.token_hex(16),
        owner=by,
        kind=kind,
        original_name=(upload.name or "upload.xlsx")[:200],
        file_size=upload.size,
        ip_address=ip,
        created_at=now,
    )
    job.file.save("upload.xlsx", File(upload), save=False)
    job.save()
    if job.file_size <= settings.IMPORT_INLINE_KB * 1024:
        run_dry_run(job.pk)
    else:
        from .tasks import dry_run_task

        dry_run_task(job.pk)
    job.refresh_from_db()
    return job


# --- the dry run --------------------------------------------------------------------------


def run_dry_run(job_id):
    """Check every row without writing any business data; store the per-row report and
    the cleaned valid rows (`checked.py`), which the import takes from there."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING, rows_done=0)
    ImportRow.objects.filter(job=job).delete()
    checked.delete(job.checked_rows.name)
    ImportJob.objects.filter(pk=job.pk).update(checked_rows="")
    checker = rules.Checker(job.kind, job.owner)
    total = valid = errors = 0
    try:
        with (
            job.file.open("rb") as fileobj,
            open_sheet(job, fileobj) as sheet,
            checked.Writer(job) as store,
        ):
            for chunk in _chunks(sheet.rows()):
                rows = checker.check_chunk(chunk)
                ok = sum(row.ok for row in rows)
                total += len(rows)
                valid += ok
                errors += len(rows) - ok
                bulk.insert_values(
                    ImportRow,
                    (
                        {
                            "job_id": job.pk,
                            "row_number": row.number,
                            "status": RowStatus.OK.value if row.ok else RowStatus.ERROR.value,
                            "errors": row.errors,
                        }
                        for row in rows
                    ),
                )
                store.write(row for row in rows if row.ok)
                _set_progress(job, total)
            if total == 0:
                raise FileRefused(_("表中没有数据行：第1行为表头，数据从第2行开始填写。"))
            stored = store.commit()
    except FileRefused as refused:
        ImportRow.objects.filter(job=job).delete()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.REFUSED, message=refused.message, rows_total=0, valid_rows=0, error_rows=0
        )
        return
    except Exception:
        log.exception("import %s: the dry run failed", job.pk)
        ImportRow.objects.filter(job=job).delete()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, message=_("检查文件时发生内部错误，请联系系统管理员。")
        )
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.VALIDATED,
        checked_rows=stored,
        rows_total=total,
        rows_done=total,
        valid_rows=valid,
        error_rows=errors,
        validated_at=timezone.now(),
        message="",
    )


# --- the import ---------------------------------------------------------------------------


def request_commit(job, *, mode, by):
    """The owner chooses how to import a checked file: valid_only (skip the bad rows) or
    all_or_nothing (offered only when no row has an error). Small files are imported at
    once, big ones on the queue."""
    job = _queue_commit(job, mode=mode, by=by)
    if job.file_size <= settings.IMPORT_INLINE_KB * 1024:
        run_commit(job.pk)
    else:
        from .tasks import commit_task

        commit_task(job.pk)
    job.refresh_from_db()
    return job


@transaction.atomic
def _queue_commit(job, *, mode, by):
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.owner_id != by.pk:
        raise PermissionDenied(_("只有上传人可以导入该文件。"))
    if mode not in CommitMode.values:
        raise ImportRefused(_("请选择导入方式。"))
    if job.status != ImportStatus.VALIDATED:
        raise ImportRefused(_("该文件当前状态为“%(status)s”，不能导入。") % {"status": ImportStatus(job.status).label})
    if job.valid_rows == 0:
        raise ImportRefused(_("没有可导入的有效行。"))
    if mode == CommitMode.ALL_OR_NOTHING and job.error_rows:
        raise ImportRefused(_("文件中有 %(n)d 行错误，不能选择“全部导入或全部不导入”。") % {"n": job.error_rows})
    job.mode = mode
    job.status = ImportStatus.QUEUED
    job.rows_done = 0
    job.save(update_fields=["mode", "status", "rows_done"])
    return job


class _Abort(Exception):
    """All-or-nothing found an error: roll everything back."""


def run_commit(job_id):
    """Re-check every row against today's database and import the valid ones."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, rows_done=0)
    cache.delete(_progress_key(job.pk))
    outcome = {"created": 0, "errors": {}, "done": 0, "numbers": {}, "checked": set()}
    all_or_nothing = job.mode == CommitMode.ALL_OR_NOTHING
    try:
        if all_or_nothing:
            with transaction.atomic():
                _import_rows(job, outcome, all_or_nothing=True)
        else:
            _import_rows(job, outcome, all_or_nothing=False)
    except _Abort:
        outcome["created"] = 0
        outcome["numbers"] = {}
    except FileRefused as refused:
        _finish(job, outcome, status=ImportStatus.VALIDATED, message=refused.message)
        return
    except Exception:
        log.exception("import %s failed", job.pk)
        if all_or_nothing:
            outcome["created"] = 0
        _finish(job, outcome, status=ImportStatus.FAILED, message=_("导入时发生内部错误，请联系系统管理员。"))
        return
    if all_or_nothing and outcome["errors"]:
        _finish(
            job,
            outcome,
            status=ImportStatus.VALIDATED,
            message=_("重新检查时发现 %(n)d 行错误（数据库在检查后有变化），未导入任何数据。请查看报告。")
            % {"n": len(outcome["errors"])},
        )
        return
    _finish(job, outcome, status=ImportStatus.DONE)


def _checked_chunks(job, checker):
    """Chunks of Row to import: the dry run's valid rows re-checked against the database
    (the fast path), or, for a job without stored rows, every row of the workbook checked
    again in full."""
    date_fields = [c.field for c in checker.columns if c.kind == "date"]
    stored = checked.read(job, date_fields)
    if stored is not None:
        for chunk in _chunks(stored, COMMIT_CHUNK):
            yield checker.recheck_chunk(chunk)
        return
    with job.file.open("rb") as fileobj, open_sheet(job, fileobj) as sheet:
        for chunk in _chunks(sheet.rows(), COMMIT_CHUNK):
            yield checker.check_chunk(chunk)


def _import_rows(job, outcome, *, all_or_nothing):
    checker = rules.Checker(job.kind, job.owner)
    # Rows in error at the dry run are not looked at again: count them as done.
    outcome["done"] = job.rows_total - job.valid_rows if job.checked_rows else 0
    for rows in _checked_chunks(job, checker):
        outcome["checked"].update(r.number for r in rows)
        bad = [r for r in rows if not r.ok]
        for row in bad:
            outcome["errors"][row.number] = row.errors
        if bad and all_or_nothing:
            # Keep checking (the report should list every error), write nothing more.
            outcome["done"] += len(rows)
            _set_progress(job, min(outcome["done"], job.rows_total), save=False)
            continue
        good = [r for r in rows if r.ok]
        if outcome["errors"] and all_or_nothing:
            good = []
        if good:
            if all_or_nothing:
                _write(job, good, outcome)
            else:
                with transaction.atomic():
                    _write(job, good, outcome)
        outcome["done"] += len(rows)
        _set_progress(job, min(outcome["done"], job.rows_total), save=not all_or_nothing)
    if all_or_nothing and outcome["errors"]:
        raise _Abort


def _write(job, rows, outcome):
    if job.kind == ImportKind.ENTERPRISES:
        try:
            with transaction.atomic():
                create_enterprises(job, rows)
            outcome["created"] += len(rows)
        except IntegrityError:
            # Someone registered one of these codes since the check: one by one, so only
            # that row fails (in all-or-nothing mode: the rows taken since, and nothing).
            if job.mode == CommitMode.ALL_OR_NOTHING:
                codes = [r.values["credit_code"] for r in rows]
                taken = set(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
                for row in rows:
                    if row.values["credit_code"] in taken:
                        outcome["errors"][row.number] = [
                            _("【统一社会信用代码】该代码已登记，服务对象库中已有该企业。")
                        ]
                raise _Abort from None
            for row in rows:
                try:
                    with transaction.atomic():
                        save_enterprise(_enterprise(job, row), by=job.owner)
                    outcome["created"] += 1
                except (IntegrityError, ValidationError):
                    outcome["errors"][row.number] = [_("【统一社会信用代码】该代码已登记，服务对象库中已有该企业。")]
        return
    from qiservice.demands import workflow as demands

    for row in rows:
        values = row.values
        try:
            with transaction.atomic():
                demand = demands.register_demand(
                    enterprise=values["enterprise"],
                    categories=values["categories"],
                    source=values["source"],
                    contact_name=values["contact_name"],
                    contact_phone=values["contact_phone"],
                    contact_email=values.get("contact_email", ""),
                    description=values["description"],
                    address=values.get("address", ""),
                    collected_on=values.get("collected_on"),
                    by=job.owner,
                )
        except ValidationError as error:
            outcome["errors"][row.number] = list(error.messages)
            if job.mode == CommitMode.ALL_OR_NOTHING:
                raise _Abort from None
            continue
        outcome["created"] += 1
        outcome["numbers"][row.number] = demand.number


def _enterprise(job, row):
    return Enterprise(created_by=job.owner, **row.values)


def create_enterprises(job, rows):
    """The bulk path of `save_enterprise` for new enterprises: the same normalised rows
    (credit code upper-case, phone without spaces or +86, as the Checker cleaned them), the
    same creator, and the same audit record per enterprise (event “created”, the stored
    values), written in a few statements instead of three per row (`core.bulk`)."""
    now = timezone.now()
    actor = job.owner
    records = []
    for row in rows:
        values = _attnames(row.values)
        values.update(created_by_id=actor.pk, created_at=now, updated_at=now)
        records.append(values)
    if connection.vendor == "postgresql":  # the ids from the sequence: nothing to look up after
        for values, pk in zip(records, bulk.next_ids(Enterprise, len(records)), strict=True):
            values["id"] = pk
    bulk.insert_values(Enterprise, records)
    if records and "id" not in records[0]:
        codes = [r["credit_code"] for r in records]
        ids = dict(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", "pk"))
        for values in records:
            values["id"] = ids[values["credit_code"]]
    content_type_id = ContentType.objects.get_for_model(Enterprise).pk
    actor_repr = str(actor)[:100]
    logs = []
    for values in records:
        logs.append(
            {
                "event_type": AuditEvent.CREATED.value,
                "created_at": now,
                "actor_id": actor.pk,
                "actor_repr": actor_repr,
                "ip_address": job.ip_address,
                "target_type_id": content_type_id,
                "target_id": str(values["id"]),
                "target_repr": values["name"][:200],  # str(enterprise) is its name
                "changes": audit.snapshot_values(Enterprise, values),
                "extra": {"import": job.pk},
            }
        )
    AuditLog.objects.insert_values(logs)


def _attnames(values):
    """Cleaned values by field name -> by attname (a related object as its id)."""
    return {
        (f"{k}_id" if isinstance(v, models.Model) else k): (v.pk if isinstance(v, models.Model) else v)
        for k, v in values.items()
    }


def _in_chunks(values, size=CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _finish(job, outcome, *, status, message=""):
    """Store the outcome: the report rows whose result changed since the dry run, the
    counts, and one audit record for the import."""
    errors = outcome["errors"]
    imported = status == ImportStatus.DONE
    with transaction.atomic():
        rows = ImportRow.objects.filter(job=job)
        changed = []
        for numbers in _in_chunks(errors):
            for row in rows.filter(row_number__in=numbers):
                if row.status != RowStatus.ERROR or row.errors != errors[row.row_number]:
                    row.status, row.errors = RowStatus.ERROR, errors[row.row_number]
                    changed.append(row)
        # Rows in error (at the dry run or an earlier import) that were checked again and
        # pass now are reported as they are now.
        checked_now = outcome["checked"]
        passing = [
            pk
            for pk, number in rows.filter(status=RowStatus.ERROR).values_list("pk", "row_number")
            if number in checked_now and number not in errors
        ]
        for pks in _in_chunks(passing):
            ImportRow.objects.filter(pk__in=pks).update(status=RowStatus.OK, errors=[])
        ImportRow.objects.bulk_update(changed, ["status", "errors"], batch_size=CHUNK)
        if imported:
            rows.filter(status=RowStatus.OK).update(status=RowStatus.IMPORTED)
            numbers = outcome["numbers"]
            for chunk in _in_chunks(numbers):
                stored = list(rows.filter(row_number__in=chunk))
                for row in stored:
                    row.object_id = numbers[row.row_number]
                ImportRow.objects.bulk_update(stored, ["object_id"], batch_size=CHUNK)
        error_rows = rows.filter(status=RowStatus.ERROR).count()
        total = rows.count()
        ImportJob.objects.filter(pk=job.pk).update(
            status=status,
            message=message,
            created_count=outcome["created"],
            error_rows=error_rows,
            valid_rows=total - error_rows,
            rows_done=min(outcome["done"], total),
            finished_at=timezone.now() if imported else None,
        )
        if imported:  # the checked rows are spent
            name = job.checked_rows.name
            ImportJob.objects.filter(pk=job.pk).update(checked_rows="")
            transaction.on_commit(lambda: checked.delete(name))
        job.refresh_from_db()
        audit.record(
            AuditEvent.CREATED if imported else AuditEvent.UPDATED,
            job,
            actor=job.owner,
            ip=job.ip_address,
            extra={
                "import": job.kind,
                "mode": job.mode,
                "rows": total,
                "created": outcome["created"],
                "errors": error_rows,
                "outcome": status,
            },
        )
    cache.delete(_progress_key(job.pk))
