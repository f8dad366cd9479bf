"""Demo data of the public side: a policy library, two account requests waiting for
verification and two complaints (one answered). Called by `seed_demo` through the rules."""

import datetime

from qiservice.core.validators import credit_code_check_character

POLICIES = [
    (
        "厦门市质量基础设施一站式服务站建设实施方案",
        "厦门市市场监督管理局",
        "厦市监〔2026〕18号",
        "quality_management",
        datetime.date(2026, 4, 2),
    ),
    (
        "关于加强中小企业计量服务的若干措施",
        "厦门市市场监督管理局",
        "厦市监〔2026〕9号",
        "metrology",
        datetime.date(2026, 2, 20),
    ),
    (
        "厦门市标准化资助管理办法",
        "厦门市人民政府办公厅",
        "厦府办〔2025〕77号",
        "standardization",
        datetime.date(2025, 11, 5),
    ),
    (
        "检验检测机构资质认定告知承诺实施指引",
        "福建省市场监督管理局",
        "闽市监〔2025〕41号",
        "inspection_testing",
        datetime.date(2025, 9, 12),
    ),
    (
        "小微企业质量管理体系认证提升行动方案",
        "厦门市市场监督管理局",
        "厦市监〔2025〕30号",
        "certification_accreditation",
        datetime.date(2025, 6, 18),
    ),
]

BODY = (
    "一、总体要求\n以企业需求为导向，整合计量、标准、检验检测、认证认可、质量管理等质量基础设施资源，"
    "为企业提供“一站式”服务。\n\n二、主要任务\n（一）建设一站式服务站，公布服务目录和联系方式。\n"
    "（二）组建服务专员队伍，按区分片对接企业。\n（三）建立需求登记、派单、跟踪、评价的闭环机制。\n\n"
    "三、保障措施\n各区市场监管部门负责组织实施，管理机构定期通报服务情况。"
)


def load_public(*, admin, stdout=None):
    from qiservice.accounts.models import User
    from qiservice.complaints import workflow as complaints
    from qiservice.core.visibility import get_scope
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise

    from . import workflow
    from .models import Policy

    if Policy.objects.exists():  # loaded before: seed_demo is idempotent
        return
    for title, body, number, field, issued_on in POLICIES:
        policy = Policy(
            title=title,
            issuing_body=body,
            document_number=number,
            qi_field=field,
            issued_on=issued_on,
            summary="明确服务对象、服务内容、职责分工和保障措施，推动质量基础设施服务向企业延伸。",
            body=BODY,
            is_published=True,
        )
        workflow.save_policy(policy, by=admin)
    draft = Policy(
        title="2027年度专项服务任务安排（征求意见稿）",
        issuing_body="厦门市质量基础设施协同服务管理中心",
        qi_field="other",
        issued_on=datetime.date(2026, 11, 1),
        body="征求意见稿，暂不公开。",
    )
    workflow.save_policy(draft, by=admin)

    known = Enterprise.objects.filter(district__code="350211").order_by("pk").first()
    if known is not None:
        workflow.register(
            username="applicant",
            password=_password(),
            contact_name="李华",
            credit_code=known.credit_code,
            enterprise_name=known.name,
            phone="13912345678",
        )
    body = "91350211MA0000123"
    workflow.register(
        username="applicant2",
        password=_password(),
        contact_name="孙立",
        credit_code=body + credit_code_check_character(body),
        enterprise_name="厦门集美新能源科技有限公司",
        email="sunli@example.cn",
    )

    contact = User.objects.filter(username="enterprise").first()
    scope = get_scope(contact) if contact else None
    demand = (
        Demand.objects.filter(enterprise_id__in=scope.enterprise_ids).exclude(specialist=None).first()
        if scope
        else None
    )
    if demand is not None:
        complaints.submit(
            enterprise=demand.enterprise,
            by=contact,
            demand=demand,
            specialist=demand.specialist,
            subject="上门服务时间多次变更",
            text="服务专员约定的上门时间两次临时变更，没有提前通知，影响了我们的生产安排。希望改进。",
        )
        answered = complaints.submit(
            enterprise=demand.enterprise,
            by=contact,
            demand=demand,
            subject="检测报告出具延误",
            text="送检样品后报告比约定时间晚了十天，耽误了客户验收。",
        )
        answered = complaints.acknowledge(answered, by=admin, note="已电话联系企业")
        answered = complaints.investigate(answered, by=admin, findings="技术机构设备故障导致延期，未及时告知企业。")
        complaints.answer(
            answered,
            by=admin,
            answer="经调查，延误系检测设备故障所致，技术机构未及时告知，投诉成立。已要求其完善告知机制。",
            upheld=True,
        )
    if stdout:
        stdout.write(f"demo data: {Policy.objects.count()} policies, 2 account requests, complaints")


def _password():
    from qiservice.core.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
