"""Uploads (issue 10 item 6): the type is read from the content, the size is limited, the
name is never a path, files are stored outside the web root and served only through a
permission check — through the demand page, the API and the portal alike."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from qiservice.core.files import safe_file_name
from qiservice.demands import workflow
from qiservice.demands.models import Attachment, Demand
from tests.portal.helpers import submit

from ._ui import EXE, PDF, PNG, post


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def zipped(members):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def attach(world, demand, name, content=PDF):
    return workflow.add_attachment(demand, SimpleUploadedFile(name, content), by=world.people.specialist, stage="other")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("....//....//x.pdf", "x.pdf"),
        ("/etc/cron.d/job.pdf", "job.pdf"),
        ("a\x00b.pdf", "ab.pdf"),  # NUL: PostgreSQL refuses it in text
        ("报告\r\nSet-Cookie: x=1.pdf", "报告Set-Cookie: x=1.pdf"),  # no header injection in the download
        ("季度\u3000报告.pdf", "季度 报告.pdf"),
        ("invoice\u202efdp.pdf", "invoicefdp.pdf"),  # no right-to-left override
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),  # shortened before its extension
    ],
)
def test_a_name_is_kept_as_a_plain_name_and_the_file_under_a_random_one(world, login, register, media, sent, kept):
    demand = register()
    attachment = attach(world, demand, sent)
    assert attachment.original_name == kept
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(media).resolve() / "attachments")
    assert len(stored.stem) == 32 and stored.suffix == ".pdf", "a random name, the checked extension"
    assert stored_files(media) == [stored] and stored.read_bytes() == PDF
    response = login(world.people.specialist).get(f"/demands/{demand.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition


@pytest.mark.parametrize("sent", ["../../etc/passwd", "setup.exe", "报告.pdf.exe", "a\x00.exe", ".pdf"])
def test_a_name_without_an_allowed_extension_is_refused_and_nothing_is_stored(world, register, media, sent):
    demand = register()
    with pytest.raises(workflow.WorkflowError, match="只能上传"):
        attach(world, demand, sent)
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_safe_file_name_never_returns_a_path_or_a_control_character():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text(max_size=400))
    def check(raw):
        name = safe_file_name(raw)
        assert "/" not in name and "\\" not in name and name not in (".", "..")
        assert all(ch.isprintable() for ch in name)
        assert len(name) <= 200

    check()


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("说明.txt", ("a" + "中" * 5000).encode(), True),  # a character across the first 8 KB
        ("说明.txt", "纯文本说明".encode(), True),
        ("说明.txt", b"ascii\x00binary", False),  # NUL: not text
        ("说明.txt", "Grüße".encode("latin-1"), False),  # not UTF-8
        ("报告.pdf", PNG, False),
        ("报告.png", PNG, True),
        ("报告.pdf", EXE, False),
        ("报告.docx", b"PK\x03\x04" + b"\x00" * 60, False),  # a zip's magic number, no zip
        ("报告.docx", zipped({"notes.txt": "x"}), False),  # a zip, but not a Word file
        ("报告.docx", zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}), True),
        ("报告.xlsx", zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}), False),
    ],
)
def test_the_type_is_read_from_the_content(world, register, media, name, content, accepted):
    demand = register()
    if accepted:
        assert attach(world, demand, name, content).size == len(content)
    else:
        with pytest.raises(workflow.WorkflowError):
            attach(world, demand, name, content)
        assert stored_files(media) == []


def test_the_size_limit_holds_on_the_page_the_api_and_the_portal(world, login, register, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    demand = register()
    sp = login(world.people.specialist)
    page = post(sp, demand, "attachments/upload/", {"file": SimpleUploadedFile("大.pdf", big), "stage": "other"})
    assert "文件不能超过 1 MB。" in page.content.decode()
    api = sp.post(f"/api/demands/{demand.pk}/attachments", {"file": SimpleUploadedFile("大.pdf", big)})
    assert api.status_code == 422 and "文件不能超过 1 MB" in api.json()["detail"][0]["msg"]
    demands = Demand.objects.count()
    portal = login(world.people.enterprise_user).post(
        "/portal/demands/new/",
        {
            "categories": ["metrology"],
            "description": "量具校准",
            "contact_name": "林经理",
            "contact_phone": "13912345678",
            "files": [SimpleUploadedFile("大.pdf", big)],
        },
    )
    assert portal.status_code == 200 and "文件不能超过 1 MB" in portal.content.decode()
    assert Demand.objects.count() == demands, "no demand without its refused file"
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_renamed_program_is_refused_through_the_api_and_the_portal(world, login, register, media):
    demand = register()
    sp = login(world.people.specialist)
    api = sp.post(f"/api/demands/{demand.pk}/attachments", {"file": SimpleUploadedFile("../../报告.pdf", EXE)})
    assert api.status_code == 422 and "不符" in api.json()["detail"][0]["msg"]
    with pytest.raises(workflow.WorkflowError, match="不符"):
        submit(world, uploads=[SimpleUploadedFile("资料.pdf", EXE)])
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_an_api_upload_with_a_path_for_a_name_is_stored_under_a_random_name(world, login, register, media):
    demand = register()
    response = login(world.people.specialist).post(
        f"/api/demands/{demand.pk}/attachments", {"file": SimpleUploadedFile("../../../etc/方案.pdf", PDF)}
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.original_name == "方案.pdf" and ".." not in attachment.file.name


def test_files_are_stored_outside_the_web_root_and_no_url_serves_them(world, login, register, media):
    """MEDIA_ROOT is not under STATIC_ROOT nor any static folder, no URL maps to it, and a
    stored file's path answers 404 wherever it is asked for."""
    from django.contrib.staticfiles import finders

    from qiservice import settings as configured

    media_root = Path(configured.MEDIA_ROOT).resolve()
    assert not media_root.is_relative_to(Path(configured.STATIC_ROOT).resolve())
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            assert not media_root.is_relative_to(Path(storage.location).resolve())
    assert not media_root.is_relative_to(Path(configured.BASE_DIR / "qiservice").resolve())
    assert not getattr(configured, "MEDIA_URL", "")  # never mounted
    demand = register()
    attachment = attach(world, demand, "方案.pdf")
    client = login(world.people.admin)
    for url in (
        f"/media/{attachment.file.name}",
        f"/{attachment.file.name}",
        f"/static/{attachment.file.name}",
        f"/static/../media/{attachment.file.name}",
    ):
        assert client.get(url).status_code == 404, url
    assert media == settings.MEDIA_ROOT  # this test's own folder


def test_a_file_is_served_only_to_those_who_may_see_it(world, login, register, media):
    """Another demand's file under this demand's URL, another enterprise's file in the
    portal, a demand out of scope: 404 each time, and nothing downloaded is recorded."""
    mine = register()
    theirs = register(by=world.people.officer_siming, enterprise=world.ent_siming)
    other_file = workflow.add_attachment(
        theirs, SimpleUploadedFile("思明.pdf", PDF), by=world.people.officer_siming, stage="other"
    )
    own_file = attach(world, mine, "集美.pdf")
    admin, enterprise = login(world.people.admin), login(world.people.enterprise_user)
    assert admin.get(f"/demands/{mine.pk}/attachments/{other_file.pk}/").status_code == 404
    assert admin.get(f"/api/demands/{mine.pk}/attachments/{other_file.pk}").status_code == 404
    assert (
        login(world.people.officer_jimei).get(f"/demands/{theirs.pk}/attachments/{other_file.pk}/").status_code == 404
    )
    assert enterprise.get(f"/portal/demands/{mine.pk}/attachments/{other_file.pk}/").status_code == 404
    assert enterprise.get(f"/portal/demands/{theirs.pk}/attachments/{other_file.pk}/").status_code == 404
    assert enterprise.get(f"/portal/demands/{mine.pk}/attachments/{own_file.pk}/").status_code == 200
