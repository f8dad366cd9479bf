"""Demo data: Xiamen's agency and six districts, enterprises, institutions, specialists
and one login per role. Idempotent: running it again changes nothing."""

import random

from django.db import transaction

from qiservice.accounts.choices import Role
from qiservice.accounts.models import Agency, District, RoleAssignment, User
from qiservice.core.choices import QIField
from qiservice.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_character
from qiservice.enterprises.models import Enterprise, EnterpriseContact
from qiservice.enterprises.workflow import save_enterprise
from qiservice.institutions.models import Institution, ServiceItem
from qiservice.institutions.workflow import save_institution
from qiservice.specialists.choices import Proficiency, SpecialistStatus
from qiservice.specialists.models import Specialist, SpecialistField
from qiservice.specialists.workflow import change_status, create_specialist

DEMO_PASSWORD = "Demo-2026-qi"

DISTRICTS = [
    ("思明区", "350203"),
    ("海沧区", "350205"),
    ("湖里区", "350206"),
    ("集美区", "350211"),
    ("同安区", "350212"),
    ("翔安区", "350213"),
]
NEIGHBOURS = [
    ("思明区", "湖里区"),
    ("思明区", "海沧区"),
    ("湖里区", "集美区"),
    ("湖里区", "翔安区"),
    ("集美区", "海沧区"),
    ("集美区", "同安区"),
    ("同安区", "翔安区"),
]

# (one login per role) username, name, role, scope
LOGINS = [
    ("admin", "林志强", Role.AGENCY_ADMIN, None),
    ("staff_jimei", "陈雅琴", Role.AGENCY_STAFF, "集美区"),
    ("specialist", "王建华", Role.SPECIALIST, "集美区"),
    ("institution", "黄立新", Role.INSTITUTION_STAFF, "厦门市计量检定测试院"),
    ("enterprise", "郑晓燕", Role.ENTERPRISE_USER, None),
    ("leader", "吴国平", Role.AUDITOR, None),
]

WORDS = [
    "鹭岛",
    "嘉庚",
    "海沧",
    "同集",
    "翔鹭",
    "金鹭",
    "鼓浪",
    "筼筜",
    "五缘",
    "天马",
    "杏林",
    "灌口",
    "银城",
    "东渡",
    "环东",
    "云顶",
]
TRADES = [
    ("精密机械", "C", "数控机床零部件、精密模具", "拥有省级企业技术中心，研发人员30人"),
    ("电子科技", "C", "液晶显示模组、触控面板", "与厦门大学共建联合实验室，年研发投入占营收5%"),
    ("食品", "C", "休闲食品、速冻食品", "设有产品研发部，10名研发人员"),
    ("光电", "C", "LED照明灯具、光电传感器", "拥有发明专利12项"),
    ("新材料", "C", "石墨烯导热膜、复合材料", "博士工作站一个，研发团队25人"),
    ("卫浴", "C", "陶瓷洁具、智能马桶盖", "国家高新技术企业，研发团队40人"),
    ("生物医药", "C", "体外诊断试剂、医用敷料", "GMP车间，研发人员占比20%"),
    ("纺织服装", "C", "运动服装、功能性面料", "设计中心一个，年推新款300余个"),
    ("电力设备", "C", "开关柜、智能电表", "省级工程技术研究中心"),
    ("包装印刷", "C", "食品包装袋、彩印纸盒", "具备自主设计能力"),
    ("汽车零部件", "C", "汽车线束、车灯总成", "IATF 16949体系，研发人员50人"),
    ("软件", "I", "工业互联网平台、MES系统", "软件著作权60余项"),
]
CAPACITY = [
    "年产值约8000万元，两条自动化生产线",
    "年产能50万件，三班倒生产",
    "年产值约2亿元，厂房2万平方米",
    "年产能约1200吨",
]
QUALITY = [
    "已通过ISO 9001质量管理体系认证，计量器具管理待完善",
    "未建立完整的质量管理体系，产品抽检曾有不合格记录",
    "已通过ISO 9001和ISO 14001认证，拟申报省质量奖",
    "企业标准3项，拟主导制定团体标准",
]
SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖周"
GIVEN = [
    "志明",
    "丽华",
    "建国",
    "雅婷",
    "俊杰",
    "秀英",
    "文斌",
    "晓东",
    "美玲",
    "国强",
    "海燕",
    "振华",
    "淑芬",
    "伟",
    "芳",
    "磊",
    "静",
    "斌",
    "颖",
    "勇",
]

INSTITUTIONS = [
    (
        "厦门市计量检定测试院",
        "计量院",
        "metrology_institute",
        ["metrology"],
        "集美区",
        [
            ("metrology", "计量器具检定校准", "长度、力学、热工、电学等计量器具的检定与校准"),
            ("metrology", "企业计量体系建设指导", "协助企业建立测量管理体系（GB/T 19022）"),
        ],
    ),
    (
        "厦门市标准化研究院",
        "标准院",
        "standards_institute",
        ["standardization"],
        "思明区",
        [
            ("standardization", "标准制修订咨询", "企业标准、团体标准起草与技术审查"),
            ("standardization", "标准化良好行为评价", "GB/T 15496系列企业标准体系建设辅导"),
        ],
    ),
    (
        "厦门市产品质量监督检验院",
        "质检院",
        "testing_lab",
        ["inspection_testing"],
        "湖里区",
        [
            ("inspection_testing", "产品质量检验", "电子电器、轻工、建材等产品委托检验"),
            ("inspection_testing", "检测方法咨询", "帮助企业确定检测项目与方法"),
        ],
    ),
    (
        "厦门质量认证中心",
        "认证中心",
        "certification_body",
        ["certification_accreditation"],
        "思明区",
        [
            ("certification_accreditation", "管理体系认证", "ISO 9001、ISO 14001、ISO 45001认证"),
            ("certification_accreditation", "产品认证咨询", "CCC及自愿性产品认证政策咨询"),
        ],
    ),
    (
        "厦门市质量管理协会",
        "质协",
        "quality_service",
        ["quality_management"],
        "湖里区",
        [
            ("quality_management", "卓越绩效辅导", "质量奖申报与卓越绩效模式导入"),
            ("quality_management", "质量管理小组活动", "QC小组与质量改进方法培训"),
        ],
    ),
    (
        "厦门海西检测技术有限公司",
        "海西检测",
        "testing_lab",
        ["inspection_testing", "metrology"],
        "海沧区",
        [
            ("inspection_testing", "食品及包装材料检测", "食品安全指标、食品接触材料迁移量检测"),
            ("metrology", "实验室仪器校准", "天平、温湿度计等实验室仪器校准"),
        ],
    ),
]


def make_credit_code(rng, district_code):
    """A valid 18-character code: registration authority 9 (industry and commerce),
    type 1 (enterprise), the district's division code, an organisation code with its
    GB 11714 check digit, and the GB 32100 check character."""
    digits = "0123456789ABCDEFGHJKLMNPQRTUWXY"[:10]
    org = "".join(rng.choice(digits + "ABCDEFGHJKLMNPQRTUWXY"[:6]) for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(org, weights, strict=True))
    check = 11 - total % 11
    org += {10: "X", 11: "0"}.get(check, str(check))
    if "X" in org:  # X is outside the credit-code alphabet; pick another
        return make_credit_code(rng, district_code)
    body = "91" + district_code + org
    return body + credit_code_check_character(body)


def person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng):
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


@transaction.atomic
def load(*, stdout=None, enterprises=50, specialists=20):
    rng = random.Random(20261125)
    agency, _ = Agency.objects.get_or_create(
        name="厦门市质量基础设施协同服务管理中心",
        defaults={"short_name": "协同服务中心", "address": "厦门市思明区", "phone": "0592-5100000"},
    )
    districts = {}
    for name, code in DISTRICTS:
        districts[name], _ = District.objects.get_or_create(code=code, defaults={"name": name, "agency": agency})
    for a, b in NEIGHBOURS:
        districts[a].neighbours.add(districts[b])

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@example.cn", DEMO_PASSWORD, name="林志强")
        RoleAssignment.objects.create(user=admin, role=Role.AGENCY_ADMIN)

    institutions = {}
    for name, short, kind, fields, district, items in INSTITUTIONS:
        inst = Institution.objects.filter(name=name).first()
        if inst is None:
            inst = Institution(
                name=name,
                short_name=short,
                kind=kind,
                qi_fields=fields,
                district=districts[district],
                address=f"厦门市{district}{rng.choice(WORDS)}路{rng.randint(1, 300)}号",
                contact_name=person(rng),
                contact_phone=f"0592-{rng.randint(2000000, 8999999)}",
                description=f"{name}是本市质量基础设施协同服务的技术支撑机构。",
                qualifications="CNAS、CMA 资质" if kind in ("testing_lab", "metrology_institute") else "",
            )
            save_institution(
                inst,
                by=admin,
                service_items=[ServiceItem(qi_field=f, name=n, description=d) for f, n, d in items],
            )
        institutions[name] = inst

    district_list = list(districts.values())
    existing = Enterprise.objects.count()
    for i in range(existing, enterprises):
        district = district_list[i % len(district_list)]
        word = WORDS[i % len(WORDS)]
        trade, industry, products, rd = TRADES[(i * 7) % len(TRADES)]
        e = Enterprise(
            name=f"厦门{word}{trade}有限公司"
            if i < len(WORDS) * 2
            else f"厦门{word}{WORDS[(i // 3) % len(WORDS)]}{trade}有限公司",
            credit_code=make_credit_code(rng, district.code),
            district=district,
            address=f"厦门市{district.name}{rng.choice(WORDS)}路{rng.randint(1, 999)}号",
            industry=industry,
            size=rng.choice(["large", "medium", "small", "small", "micro"]),
            main_products=products,
            rd_capability=rd,
            production_capacity=rng.choice(CAPACITY),
            quality_management=rng.choice(QUALITY),
            contact_name=person(rng),
            contact_phone=mobile(rng),
        )
        if Enterprise.objects.filter(name=e.name).exists():
            e.name = e.name.replace("有限公司", f"{i}号有限公司")
        save_enterprise(
            e, by=admin, contacts=[EnterpriseContact(name=person(rng), position="质量部经理", phone=mobile(rng))]
        )

    # One login per role.
    users = {}
    for username, name, role, scope in LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None and role != Role.SPECIALIST:
            user = User.objects.create_user(username, f"{username}@example.cn", DEMO_PASSWORD, name=name)
            kwargs = {}
            if role == Role.AGENCY_STAFF:
                kwargs["district"] = districts[scope]
            elif role == Role.INSTITUTION_STAFF:
                kwargs["institution"] = institutions[scope]
            elif role == Role.ENTERPRISE_USER:
                kwargs["enterprise"] = Enterprise.objects.filter(district=districts["集美区"]).order_by("pk").first()
            RoleAssignment.objects.create(user=user, role=role, **kwargs)
        users[username] = user

    fields_cycle = QIField.values[:5]
    existing = Specialist.objects.count()
    for i in range(existing, specialists):
        district = districts["集美区"] if i == 0 else district_list[i % len(district_list)]
        name = "王建华" if i == 0 else person(rng)
        f1, f2 = fields_cycle[i % 5], fields_cycle[(i + 2) % 5]
        s = Specialist(
            name=name,
            phone=mobile(rng),
            district=district,
            employer=rng.choice([n for n, *_ in INSTITUTIONS] + [f"{district.name}市场监督管理局"]),
            title=rng.choice(["高级工程师", "工程师", "研究员", "质量管理师", "科长"]),
            qualifications=rng.choice(
                ["注册计量师（一级）", "标准化工程师", "ISO 9001 国家注册审核员", "检验检测机构资质评审员", ""]
            ),
            expertise=f"{QIField(f1).label}、{QIField(f2).label}方面的企业服务，熟悉{rng.choice(TRADES)[0]}行业",
            capacity=rng.choice([3, 5, 5, 8]),
        )
        username = "specialist" if i == 0 else f"specialist{i:02d}"
        s, _pw = create_specialist(
            s,
            username=username,
            password=DEMO_PASSWORD,
            by=admin,
            fields=[
                SpecialistField(field=f1, proficiency=Proficiency.EXPERT),
                SpecialistField(field=f2, proficiency=rng.choice(Proficiency.values)),
            ],
            reason="申请加入服务专员库",
        )
        # Most are admitted; a few stay applicants, one is suspended, one retired.
        if i % 10 != 7:
            change_status(s, SpecialistStatus.ACTIVE, by=admin, reason="经审核符合服务专员选聘条件")
        if i == 9:
            change_status(s, SpecialistStatus.SUSPENDED, by=admin, reason="本年度培训学时不足，暂停承接新需求")
        if i == 13:
            change_status(s, SpecialistStatus.RETIRED, by=admin, reason="工作调动，申请退出")
    from qiservice.demands.demo import load_demands

    load_demands(admin=admin, stdout=stdout)
    from qiservice.public.demo import load_public

    load_public(admin=admin, stdout=stdout)
    if stdout:
        stdout.write(
            f"demo data: {District.objects.count()} districts, {Enterprise.objects.count()} enterprises, "
            f"{Institution.objects.count()} institutions, {Specialist.objects.count()} specialists"
        )
    return users
