"""Backup → wipe → restore gives back every row and every uploaded file (issue 10)."""

import hashlib
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from qiservice.core import audit_chain
from qiservice.core.backup import BackupError, create_backup, read_manifest, restore_backup
from qiservice.core.models import AuditLog
from qiservice.demands import workflow
from qiservice.demands.models import Attachment, Demand
from tests.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            rows[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list())
    media = Path(settings.MEDIA_ROOT)
    files = {
        p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file()
    }
    return rows, files


@pytest.fixture
def filled():
    world = build_world()
    demand = workflow.register_demand(
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="张三",
        contact_phone="13800000000",
        description="三坐标测量机需要校准，附检定证书扫描件",
        by=world.people.specialist,
    )
    upload = SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n" + b"x" * 3000 + b"\n%%EOF", content_type="application/pdf")
    workflow.add_attachment(demand, upload, by=world.people.specialist, stage="registration")
    return world, demand


def test_backup_wipe_restore_gives_back_every_row_and_file(filled, tmp_path):
    before = snapshot()
    assert before[1], "the attachment's file is on disk"
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive))
    manifest = read_manifest(archive)
    assert manifest["rows"]["demands_demand"] == 1
    assert any(name.startswith("media/") for name in manifest["files"])

    call_command("flush", interactive=False)
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    assert not Demand.objects.exists()

    call_command("restore", str(archive), yes=True)
    after = snapshot()
    assert after[0] == before[0]
    assert after[1] == before[1]
    attachment = Attachment.objects.get()
    assert attachment.file.read().startswith(b"%PDF-1.4")
    assert audit_chain.verify(AuditLog).ok


def test_a_damaged_archive_changes_nothing(filled, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    create_backup(archive)
    # Rewrite the archive with one file's content changed but the manifest kept.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data.replace(b"x", b"y", 1)
            import io

            target.addfile(member, io.BytesIO(data))
    before = snapshot()
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(damaged)
    with pytest.raises(BackupError, match="not a backup archive"):
        restore_backup(tmp_path / "missing.tar.gz")
    assert snapshot() == before
