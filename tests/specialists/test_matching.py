"""Matching: the expected specialist first for realistic demands; the rules of the score."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from qiservice.core.choices import QIField
from qiservice.specialists import matching
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import MatchingWeights, Specialist, SpecialistField

from ..conftest import make_specialist

POOL = [
    # username, district, fields, expertise
    ("jiliang", "jimei", ("metrology",), "计量器具检定校准，测量管理体系建设，三坐标测量机、压力表、衡器"),
    ("biaozhun", "siming", ("standardization",), "企业标准、团体标准制定与标准化良好行为评价，标准体系建设"),
    (
        "renzheng",
        "huli",
        ("certification_accreditation", "quality_management"),
        "ISO 9001质量管理体系认证辅导，认证审核",
    ),
    ("jiance", "huli", ("inspection_testing",), "电子电器产品检测，食品检验，检测报告解读与检测方法"),
]


@pytest.fixture
def pool(world):
    made = {}
    for username, district, fields, expertise in POOL:
        s = make_specialist(username, getattr(world, district), fields=fields, expertise=expertise)
        matching.refresh_tokens(s)
        made[username] = s
    return made


@pytest.mark.parametrize(
    ("categories", "description", "expected"),
    [
        (["metrology"], "新购一批压力表和电子秤，需要计量器具检定", "jiliang"),
        (["standardization"], "我司牵头起草一项团体标准，需要团体标准制定的指导", "biaozhun"),
        (["certification_accreditation"], "准备申请ISO 9001认证，希望辅导质量管理体系建设", "renzheng"),
        (["inspection_testing"], "新产品上市前需要做产品检测，出具检测报告", "jiance"),
        ([], "计量器具检定", "jiliang"),  # the words alone carry it
    ],
)
def test_the_expected_specialist_comes_first(world, pool, categories, description, expected):
    ranking = matching.rank(categories=categories, description=description, district=world.jimei)
    assert ranking.candidates[0].specialist == pool[expected], [
        (c.specialist.user.username, c.score, c.explanation) for c in ranking.candidates
    ]


def test_excluded_specialists_are_listed_with_the_reason(world, pool):
    from qiservice.demands import workflow

    full = pool["jiliang"]
    full.capacity = 1
    full.save()
    matching.forget()
    workflow.register_demand(  # one open demand: full
        by=full.user,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="张",
        contact_phone="13800001111",
        description="校准",
    )
    pool["biaozhun"].status = SpecialistStatus.SUSPENDED
    pool["biaozhun"].save()
    matching.forget()
    ranking = matching.rank(categories=["metrology"], description="计量", district=world.jimei, limit=None)
    shown = {c.specialist for c in ranking.candidates}
    assert full not in shown and pool["biaozhun"] not in shown
    reasons = {c.specialist: c.excluded for c in ranking.excluded}
    assert "已达上限" in reasons[full]
    assert "暂停" in reasons[pool["biaozhun"]]


def test_a_demand_without_categories_or_description_still_ranks_and_says_why(world, pool):
    ranking = matching.rank(categories=[], description="", district=world.jimei)
    assert ranking.candidates
    assert "需求未选择类别" in ranking.weak and "需求没有描述" in ranking.weak
    assert ranking.candidates[0].specialist.district == world.jimei, "then the district leads"


def test_all_zero_weights_are_refused():
    from django.core.exceptions import ValidationError

    weights = MatchingWeights(field_weight=0, district_weight=0, load_weight=0, record_weight=0, text_weight=0)
    with pytest.raises(ValidationError, match="不能全部为零"):
        weights.clean()


class MatchingProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        from qiservice.accounts.models import Agency, District

        agency = Agency.objects.create(name="a")
        cls.jimei = District.objects.create(agency=agency, name="集美区", code="350211")
        cls.huli = District.objects.create(agency=agency, name="湖里区", code="350206")
        cls.jimei.neighbours.add(cls.huli)
        cls.people = [
            make_specialist(f"s{i}", cls.jimei if i % 2 else cls.huli, fields=(), expertise=text, capacity=3)
            for i, text in enumerate(["计量校准", "标准制定", "产品检测", "体系认证", "质量管理"])
        ]
        for s in cls.people:
            matching.refresh_tokens(s)

    @settings(max_examples=50, deadline=None)
    @given(
        st.lists(st.sampled_from(QIField.values), unique=True, max_size=3),
        st.sampled_from(["计量器具校准", "团体标准", "", "ISO 9001 认证"]),
        st.integers(0, 4),
        st.sampled_from(QIField.values),
    )
    def test_adding_a_matching_field_never_lowers_a_score_and_parts_add_up(self, categories, text, who, new_field):
        def score_of(specialist):
            ranking = matching.rank(categories=categories, description=text, district=self.jimei, limit=None)
            for candidate in ranking.candidates:
                assert abs(sum(p.points for p in candidate.parts) - candidate.score) < 0.01
                assert 0 <= candidate.score <= 100
            return next(c.score for c in ranking.candidates if c.specialist == specialist)

        specialist = self.people[who]
        SpecialistField.objects.filter(specialist=specialist).delete()
        matching.forget()
        before = score_of(specialist)
        SpecialistField.objects.create(specialist=specialist, field=new_field, proficiency="basic")
        matching.forget()
        after = score_of(specialist)
        assert after >= before
        if new_field in categories:
            assert after > before

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.integers(0, 4), max_size=4))
    def test_full_specialists_never_appear(self, full):
        Specialist.objects.filter(pk__in=[p.pk for p in self.people]).update(capacity=3)
        full_ids = {self.people[i].pk for i in full}
        Specialist.objects.filter(pk__in=full_ids).update(capacity=0)
        matching.forget()
        ranking = matching.rank(categories=["metrology"], description="计量", district=self.jimei, limit=None)
        assert not full_ids & {c.specialist.pk for c in ranking.candidates}
        assert full_ids == {c.specialist.pk for c in ranking.excluded}
