"""The named people of tests/conftest.py built outside a pytest fixture, for Hypothesis
test classes (setUpTestData) and threads that need the same world."""

from types import SimpleNamespace

from qiservice.accounts.choices import Role
from qiservice.accounts.models import Agency, District
from qiservice.institutions.models import Institution
from tests.conftest import CODES, make_enterprise, make_specialist, make_user


def build_world():
    agency = Agency.objects.create(name="厦门市质量基础设施协同服务管理中心")
    jimei = District.objects.create(agency=agency, name="集美区", code="350211")
    siming = District.objects.create(agency=agency, name="思明区", code="350203")
    huli = District.objects.create(agency=agency, name="湖里区", code="350206")
    jimei.neighbours.add(huli)
    metrology = Institution.objects.create(
        name="厦门市计量检定测试院",
        kind="metrology_institute",
        qi_fields=["metrology"],
        district=jimei,
        contact_name="黄",
        contact_phone="0592-1234567",
    )
    testing = Institution.objects.create(
        name="厦门市产品质量监督检验院",
        kind="testing_lab",
        qi_fields=["inspection_testing"],
        district=huli,
        contact_name="李",
        contact_phone="0592-7654321",
    )
    ent_jimei = make_enterprise("厦门集美精密机械有限公司", jimei, CODES["ent_jimei"])
    ent_siming = make_enterprise("厦门思明电子科技有限公司", siming, CODES["ent_siming"])
    sp_jimei = make_specialist("sp_jimei", jimei, name="王建华", fields=("metrology", "standardization"))
    sp_siming = make_specialist("sp_siming", siming, name="陈丽", fields=("inspection_testing",))
    people = SimpleNamespace(
        admin=make_user("admin", Role.AGENCY_ADMIN),
        officer_jimei=make_user("officer_jimei", Role.AGENCY_STAFF, district=jimei),
        officer_siming=make_user("officer_siming", Role.AGENCY_STAFF, district=siming),
        specialist=sp_jimei.user,
        specialist_siming=sp_siming.user,
        institution_staff=make_user("inst_staff", Role.INSTITUTION_STAFF, institution=metrology),
        # Not one of conftest's people: staff of the second institution, so that a demand
        # dispatched to both can be declined by one and still wait for the other.
        testing_staff=make_user("testing_staff", Role.INSTITUTION_STAFF, institution=testing),
        enterprise_user=make_user("ent_user", Role.ENTERPRISE_USER, enterprise=ent_jimei),
        auditor=make_user("auditor", Role.AUDITOR),
        outsider=make_user("outsider"),
    )
    return SimpleNamespace(
        agency=agency,
        jimei=jimei,
        siming=siming,
        huli=huli,
        metrology=metrology,
        testing=testing,
        ent_jimei=ent_jimei,
        ent_siming=ent_siming,
        sp_jimei=sp_jimei,
        sp_siming=sp_siming,
        people=people,
    )
