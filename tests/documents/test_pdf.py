"""The PDF files: ReportLab's CID font (STSong-Light, not embedded), the Chinese text as a
reader extracts it, page counts, and only characters the CID font has."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qiservice.documents import content, services
from qiservice.documents.pdf_forms import FONT, render_pdf

from .helpers import SUMMARY, flat, pdf_of, pdf_text


def build(world, demand, form, user=None):
    user = user or world.people.admin
    return services.build(user, services.load(user, demand.pk), form)


def fonts_of(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            assert "/FontFile2" not in str(font)  # no font file embedded
    return names


def test_every_form_is_one_a4_page_in_the_cid_font_with_its_texts(world, done):
    for form in content.FORMS:
        document = build(world, done, form)
        reader = pdf_of(render_pdf(document))
        assert len(reader.pages) == 1, form
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
        assert any(FONT in name for name in fonts_of(reader))
        text = flat(pdf_text(render_pdf(document)))
        for expected in document.texts():
            # Tick boxes are drawn, not typed: their labels are text, the boxes are not.
            assert flat(expected.replace(content.TICKED, "").replace(content.UNTICKED, "")) in text, (form, expected)
        assert content.TICKED not in text and content.UNTICKED not in text
        assert "第1页" in text


def test_registration_pdf_reads_like_appendix_a(world, done):
    text = flat(pdf_text(render_pdf(build(world, done, "registration"))))
    assert text.index("附录A（资料性）") < text.index("厦门市质量基础设施协同服务需求登记表") < text.index("编号：QI-")
    for word in [
        "服务对象厦门集美精密机械有限公司",
        "计量服务",
        "质量管理服务",
        "来源现场电话网络其他",
        "联系人张经理",
    ]:
        assert word in text


def test_summary_and_case_pdfs(world, done):
    summary = flat(pdf_text(render_pdf(build(world, done, "summary"))))
    assert flat(SUMMARY["methods"]) in summary
    case = flat(pdf_text(render_pdf(build(world, done, "case"))))
    assert "某精密机械企业" in case and "集美精密" not in case


def test_every_character_is_in_the_cid_font(world, done):
    """STSong-Light is Adobe-GB1: what GBK encodes is there, ☑ is not (drawn instead)."""
    for form in content.FORMS:
        for text in build(world, done, form).texts():
            text.replace(content.TICKED, "").replace(content.UNTICKED, "").encode("gbk")
    for form in content.BLANK_FORMS:
        for text in services.build_blank(form).texts():
            text.replace(content.TICKED, "").replace(content.UNTICKED, "").encode("gbk")


def test_the_same_form_gives_the_same_bytes(world, done):
    document = build(world, done, "evaluation")
    assert render_pdf(document) == render_pdf(document)


def test_long_text_wraps_and_continues(world, done):
    done.description = "企业需要建立测量管理体系。" * 300
    document = content.registration(done)
    reader = pdf_of(render_pdf(document))
    assert len(reader.pages) >= 2
    text = flat(pdf_text(render_pdf(document)))
    # The text continues in rows labelled 需求描述（续）; nothing of it is lost.
    assert "需求描述（续）" in text
    text = re.sub(r"需求描述（续）|第\d+页", "", text)  # the continuation labels and page numbers
    assert text.count("企业需要建立测量管理体系。") == 300


class FakeDemand:
    """What the registration form reads of a demand, without the database."""

    def __init__(self, categories, source):
        self.categories, self.source = categories, source
        self.number = "QI-2026-000009"
        self.address = "厦门市集美区"
        self.contact_name = "张经理"
        self.contact_phone = "13800001111"
        self.description = "描述"
        self.registered_on = None

        class E:
            name = "厦门集美精密机械有限公司"

        class U:
            display_name = "王建华"

        self.enterprise, self.registered_by = E(), U()


@settings(max_examples=25, deadline=None)
@given(
    categories=st.sets(st.sampled_from([c for c, _ in content.QIField.choices]), min_size=1),
    source=st.sampled_from([c for c, _ in content.DemandSource.choices]),
)
def test_ticks_follow_the_choices(categories, source):
    """Whatever is chosen is ticked, in both renderers' input, and nothing else."""
    document = content.registration(FakeDemand(categories, source))
    cats, src = document.table.rows[2].cells[1].content, document.table.rows[3].cells[1].content
    labels = dict(content.QIField.choices)
    assert {t.label for t in cats if t.ticked} == {
        str(labels[c]) if c == "other" else f"{labels[c]}服务" for c in categories
    }
    assert [t.ticked for t in src] == [c == source for c, _ in content.DemandSource.choices]
    assert len(cats) == 6 and len(src) == 4
