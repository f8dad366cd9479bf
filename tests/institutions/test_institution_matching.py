import pytest

from qiservice.institutions.matching import rank_institutions
from qiservice.institutions.models import Institution, ServiceItem


@pytest.fixture
def catalogue(world):
    standards = Institution.objects.create(
        name="厦门市标准化研究院",
        kind="standards_institute",
        qi_fields=["standardization"],
        district=world.siming,
        contact_name="林",
        contact_phone="0592-1111111",
    )
    ServiceItem.objects.create(
        institution=standards, qi_field="standardization", name="团体标准制定", description="团体标准起草与审查"
    )
    ServiceItem.objects.create(
        institution=world.testing,
        qi_field="inspection_testing",
        name="产品检测",
        description="电子电器产品检测，出具检测报告",
    )
    return {"standards": standards, "testing": world.testing, "metrology": world.metrology}


@pytest.mark.parametrize(
    ("categories", "text", "expected"),
    [
        (["metrology"], "计量器具检定校准", "metrology"),
        (["standardization"], "需要团体标准制定", "standards"),
        (["inspection_testing"], "新产品需要产品检测报告", "testing"),
        ([], "团体标准起草", "standards"),
    ],
)
def test_the_expected_institution_comes_first_with_an_explanation(world, catalogue, categories, text, expected):
    ranking = rank_institutions(categories=categories, description=text, district=world.jimei)
    top = ranking[0]
    assert top.institution == catalogue[expected], [(c.institution.name, c.score) for c in ranking]
    assert abs(sum(p[1] for p in top.parts) - top.score) < 0.01
    assert "领域匹配" in top.explanation


def test_inactive_institutions_are_not_ranked(world, catalogue):
    catalogue["standards"].is_active = False
    catalogue["standards"].save()
    ranking = rank_institutions(categories=["standardization"], description="团体标准", district=world.jimei)
    assert catalogue["standards"] not in [c.institution for c in ranking]
