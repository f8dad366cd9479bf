"""Synthetic data at scale (issue 9): a province's five years of collaborative service.

`manage.py generate_data --scale province|city|town --seed N` fills the database with
realistic rows in every workflow state: enterprises with valid credit codes, the specialist
pool, institutions with catalogues, demands with their categories, status history, deadlines
(computed on the real working-day calendar), assignments, escalations and dispatches,
preparations, agreements and plans, ledger entries, summaries and evaluations, and the
demands' keyword-search index.

It writes straight to the tables with the engine's bulk path (PostgreSQL COPY, SQLite
executemany in large transactions), bypassing the workflow functions on purpose: they are
one row at a time and would take hours for ten million ledger rows. What the workflow keeps
(the demand number sequence, the deadlines' due dates, the evaluation total) is computed the
same way here. The same seed gives the same data.
"""

import datetime
import json
import random
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from qiservice.core.validators import credit_code_check_character
from qiservice.demands.search import document as search_document

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@dataclass(frozen=True)
class Scale:
    demands: int
    enterprises: int
    specialists: int
    institutions: int
    ledger_entries: int
    districts: int
    years: int = 5


SCALES = {
    "province": Scale(1_000_000, 200_000, 10_000, 50, 10_000_000, 60),
    "city": Scale(100_000, 20_000, 1_000, 20, 1_000_000, 12),
    "town": Scale(2_000, 400, 40, 8, 20_000, 6),
}

# Fujian's county-level divisions after Xiamen's six (name, division code).
MORE_DISTRICTS = [
    ("鼓楼区", "350102"),
    ("台江区", "350103"),
    ("仓山区", "350104"),
    ("马尾区", "350105"),
    ("晋安区", "350111"),
    ("长乐区", "350112"),
    ("闽侯县", "350121"),
    ("连江县", "350122"),
    ("罗源县", "350123"),
    ("闽清县", "350124"),
    ("永泰县", "350125"),
    ("平潭县", "350128"),
    ("福清市", "350181"),
    ("城厢区", "350302"),
    ("涵江区", "350303"),
    ("荔城区", "350304"),
    ("秀屿区", "350305"),
    ("仙游县", "350322"),
    ("三元区", "350404"),
    ("沙县区", "350405"),
    ("永安市", "350481"),
    ("鲤城区", "350502"),
    ("丰泽区", "350503"),
    ("洛江区", "350504"),
    ("泉港区", "350505"),
    ("惠安县", "350521"),
    ("安溪县", "350524"),
    ("永春县", "350525"),
    ("德化县", "350526"),
    ("石狮市", "350581"),
    ("晋江市", "350582"),
    ("南安市", "350583"),
    ("芗城区", "350602"),
    ("龙文区", "350603"),
    ("龙海区", "350604"),
    ("长泰区", "350605"),
    ("漳浦县", "350623"),
    ("云霄县", "350622"),
    ("诏安县", "350624"),
    ("东山县", "350626"),
    ("平和县", "350628"),
    ("华安县", "350629"),
    ("延平区", "350702"),
    ("建阳区", "350703"),
    ("邵武市", "350781"),
    ("武夷山市", "350782"),
    ("建瓯市", "350783"),
    ("新罗区", "350802"),
    ("永定区", "350803"),
    ("上杭县", "350823"),
    ("武平县", "350824"),
    ("连城县", "350825"),
    ("漳平市", "350881"),
    ("蕉城区", "350902"),
    ("福安市", "350981"),
    ("福鼎市", "350982"),
    ("霞浦县", "350921"),
    ("古田县", "350922"),
    ("屏南县", "350923"),
    ("寿宁县", "350924"),
]
XIAMEN = [("思明区", "350203"), ("海沧区", "350205"), ("湖里区", "350206"), ("集美区", "350211"),
          ("同安区", "350212"), ("翔安区", "350213")]  # fmt: skip

FIELDS = ["metrology", "standardization", "inspection_testing", "certification_accreditation", "quality_management"]
FIELD_PHRASES = {
    "metrology": ["计量器具检定校准", "测量管理体系建设", "三坐标测量机校准", "压力表和电子秤检定", "能源计量审查",
                  "实验室仪器校准", "计量溯源性评估"],
    "standardization": ["团体标准制定", "企业标准体系建设", "标准化良好行为评价", "企业标准自我声明公开",
                        "国家标准比对分析", "标准体系明细表编制"],
    "inspection_testing": ["电子电器产品检测", "食品检验检测", "检测报告解读", "型式试验安排", "抽样送检指导",
                           "出口产品检测"],
    "certification_accreditation": ["ISO 9001质量管理体系认证", "CCC产品认证咨询", "认证审核辅导",
                                    "实验室认可准备", "绿色产品认证"],
    "quality_management": ["卓越绩效模式导入", "QC小组活动", "质量奖申报", "质量追溯体系建设", "六西格玛改进",
                           "首席质量官培训"],
}  # fmt: skip
INDUSTRY_WORDS = ["精密机械", "电子科技", "食品", "新材料", "光电", "汽车零部件", "医疗器械", "纺织服装", "化工",
                  "家具", "建材", "茶业", "石材", "卫浴", "包装印刷", "智能装备", "生物科技", "水产"]  # fmt: skip
NAME_WORDS = ["宏达", "盛源", "鑫泰", "华信", "恒通", "金诚", "嘉禾", "永昌", "瑞丰", "海峡", "闽南", "鹭岛", "东方",
              "天成", "博远", "同创", "联合", "群英", "凯德", "明辉", "正泰", "长青", "新锐", "万利"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁"
GIVEN = "建华丽明伟芳娜敏静强磊军洋勇艳杰娟涛超秀英霞平刚桂兰志红文斌海燕辉鹏飞晓东宇婷雪梅"
PROBLEMS = ["现场查看{p}情况", "梳理{p}相关资料", "讲解{p}的要求", "协助企业完成{p}准备", "复核{p}整改结果",
            "组织{p}专题座谈"]  # fmt: skip
HANDLINGS = ["采用现场指导与资料审核相结合的方式，逐项说明要求并形成整改清单",
             "通过远程视频会议讲解标准条款，提供模板文件，企业按期反馈",
             "联系技术机构专家到场，开展测量比对，出具初步意见",
             "对照法规和标准逐条核查，提出改进建议并跟踪落实",
             "组织企业相关部门负责人培训，布置后续工作任务"]  # fmt: skip

# The demand's path through the workflow (clause 7): direct and assisted.
DIRECT_PATH = ["registered", "preparing", "confirmed", "agreement_signed", "plan_made", "in_service",
               "service_ended", "summary_submitted", "evaluated", "closed"]  # fmt: skip
ASSISTED_PATH = ["registered", "preparing", "confirmed", "escalated", "dispatched", "accepted", "agreement_signed",
                 "plan_made", "in_service", "service_ended", "summary_submitted", "evaluated", "closed"]  # fmt: skip
ACTIONS = {
    "preparing": "start_preparation", "confirmed": "confirm", "escalated": "escalate", "dispatched": "dispatch",
    "accepted": "accept_dispatch", "agreement_signed": "sign_agreement", "plan_made": "make_plan",
    "in_service": "start_service", "service_ended": "end_service", "summary_submitted": "submit_summary",
    "evaluated": "evaluate", "closed": "close", "withdrawn": "withdraw", "cancelled": "cancel",
}  # fmt: skip
# Stages a status opens and meets (as qiservice.deadlines.service.on_transition; "evaluated" also
# meets the evaluation's own time limit, as submitting an evaluation does in workflow).
ENTERS = {"preparing": ["preparation"], "dispatched": ["dispatch_acceptance"], "accepted": ["agreement"],
          "service_ended": ["summary", "evaluation"]}  # fmt: skip
MEETS = {"confirmed": ["preparation"], "escalated": ["escalation", "dispatch_acceptance"],
         "accepted": ["dispatch_acceptance"], "agreement_signed": ["agreement"], "summary_submitted": ["summary"],
         "evaluated": ["summary", "evaluation"]}  # fmt: skip
OPEN_LATE = ["registered", "preparing", "confirmed", "escalated", "dispatched", "accepted", "agreement_signed",
             "plan_made", "in_service", "service_ended", "summary_submitted", "evaluated"]  # fmt: skip
RATINGS = (10, 10, 10, 8, 8, 8, 6, 0)
STEPS = (1, 2, 2, 3, 4, 5, 8, 12)
SOURCES = ("onsite", "phone", "web", "other")
METHODS = ("onsite", "remote", "mixed")
CHANNELS = ("link", "portal", "paper")
TERMINAL = ("closed", "withdrawn", "cancelled")
REASONS = ("产品准备出口", "新产线投产", "客户提出要求", "准备申报质量奖", "内部管理需要提升")
EIGHT_HOURS = datetime.timedelta(hours=8)
SIXTY_DAYS = datetime.timedelta(days=60)


class Calendar:
    """Working days of the Holiday table plus weekends, over a fixed span, in arrays."""

    def __init__(self, first, last):
        from qiservice.deadlines.models import Holiday

        kinds = dict(Holiday.objects.filter(date__range=(first, last)).values_list("date", "kind"))
        self.first = first
        days = (last - first).days + 1
        self.working = []
        for offset in range(days):
            day = first + datetime.timedelta(days=offset)
            kind = kinds.get(day)
            self.working.append(kind == "workday" or (kind != "holiday" and day.weekday() < 5))
        # rank[i]: working days up to and including day i; index_of[k]: the k-th working day.
        self.rank, self.index_of, count = [], [], 0
        for offset, works in enumerate(self.working):
            if works:
                count += 1
                self.index_of.append(offset)
            self.rank.append(count)

    def add(self, start, days):
        offset = (start - self.first).days
        target = self.rank[offset] + days if days else self.rank[offset] + (0 if self.working[offset] else 1)
        index = min(target - 1, len(self.index_of) - 1)
        return self.first + datetime.timedelta(days=self.index_of[index])

    def between(self, start, end):
        if end <= start:
            return 0
        last = len(self.rank) - 1
        return self.rank[min((end - self.first).days, last)] - self.rank[min((start - self.first).days, last)]


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, model, fields):
        self.model = model
        self.table = model._meta.db_table
        self.columns = [model._meta.get_field(f).column for f in fields]
        self.rows = []
        self.count = 0
        self.postgres = connection.vendor == "postgresql"

    def add(self, *row):
        self.rows.append(row)
        if len(self.rows) >= 20_000:
            self.flush()

    def flush(self):
        if not self.rows:
            return
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        if self.postgres:
            sql = f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            raw = connection.connection.cursor()
            # Table and column names come from the models, never from input.
            raw.executemany(f'INSERT INTO "{self.table}" ({quoted}) VALUES ({marks})', self.rows)  # noqa: S608
        self.count += len(self.rows)
        self.rows = []


def _next_id(model):
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _person(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng):
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def credit_code(index, division):
    """A valid, unique code for the index-th enterprise: 9 1 <division> <org code> <check>."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    for last in "0123456789":  # the 8th character is chosen so the GB 11714 check is a digit
        org = f"{index % 10_000_000:07d}{last}"
        check = 11 - sum(alphabet.index(c) * w for c, w in zip(org, weights, strict=True)) % 11
        if check != 10:
            break
    body = "91" + division + org + ("0" if check == 11 else str(check))
    return body + credit_code_check_character(body)


class Generator:
    def __init__(self, scale, seed=2026, today=None, log=print):
        self.scale = scale
        self.rng = random.Random(seed)  # noqa: S311 (reproducible synthetic data, not secrets)
        self.today = today or timezone.localdate()
        self.first = datetime.date(self.today.year - scale.years + 1, 1, 1)
        self.log = log
        self.started = time.monotonic()

    def say(self, text):
        self.log(f"[{time.monotonic() - self.started:7.1f} s] {text}")

    def run(self):
        from qiservice.deadlines.service import ensure_policies

        ensure_policies()
        self.postgres = connection.vendor == "postgresql"
        self.now_local = (timezone.now() - datetime.timedelta(minutes=5)).astimezone(SHANGHAI).replace(tzinfo=None)
        self.now_text = self.ts(self.now_local)
        self.calendar = Calendar(self.first - datetime.timedelta(days=30), self.today + datetime.timedelta(days=400))
        with transaction.atomic():
            self.organisations()
        with transaction.atomic():
            self.enterprises()
        with transaction.atomic():
            self.pool()
        # The dashboard's counters are rebuilt once at the end rather than kept row by row.
        from qiservice.reports import counters

        with counters.suspended():
            self.demands()
            self.finish()
        self.say("done (counters rebuilt)")

    # --- organisations ---------------------------------------------------------------
    def organisations(self):
        from qiservice.accounts.models import Agency, District, RoleAssignment, User
        from qiservice.institutions.models import Institution, ServiceItem

        rng, scale = self.rng, self.scale
        self.agency = Agency.objects.order_by("pk").first() or Agency.objects.create(
            name="福建省质量基础设施协同服务管理中心"
        )
        existing = {d.code: d for d in District.objects.all()}
        wanted = (XIAMEN + MORE_DISTRICTS)[: scale.districts]
        for name, code in wanted:
            if code not in existing:
                existing[code] = District.objects.create(agency=self.agency, name=name, code=code)
        self.districts = [existing[code] for _, code in wanted]
        password = make_password("Synthetic-2026-qi")
        self.staff = []
        for district in self.districts:
            username = f"syn_staff_{district.code}"
            user, created = User.objects.get_or_create(
                username=username, defaults={"name": _person(rng), "password": password, "phone": _phone(rng)}
            )
            if created:
                RoleAssignment.objects.create(user=user, role="agency_staff", district=district)
            self.staff.append(user)
        kinds = {
            "metrology": "metrology_institute",
            "standardization": "standards_institute",
            "inspection_testing": "testing_lab",
            "certification_accreditation": "certification_body",
            "quality_management": "quality_service",
        }
        self.institutions = {f: [] for f in FIELDS}
        have = Institution.objects.count()
        for index in range(have, scale.institutions):
            field = FIELDS[index % len(FIELDS)]
            district = self.districts[index % len(self.districts)]
            city = district.name[:-1]
            institution = Institution.objects.create(
                name=f"{city}{rng.choice(NAME_WORDS)}{kinds[field].split('_')[0]}技术服务中心{index + 1}",
                short_name="",
                kind=kinds[field],
                qi_fields=[field],
                district=district,
                address=f"{district.name}科技路{index + 1}号",
                contact_name=_person(rng),
                contact_phone=f"0592-{rng.randrange(2000000, 9999999)}",
                contact_email="",
                description=f"提供{'、'.join(FIELD_PHRASES[field][:3])}等服务",
                qualifications="CMA / CNAS",
            )
            for phrase in FIELD_PHRASES[field]:
                ServiceItem.objects.create(institution=institution, qi_field=field, name=phrase, description="")
        for institution in Institution.objects.all():
            for field in institution.qi_fields or []:
                if field in self.institutions:
                    self.institutions[field].append(institution.pk)
        self.say(f"{len(self.districts)} districts, {Institution.objects.count()} institutions")

    def enterprises(self):
        from qiservice.enterprises.models import Enterprise

        rng, now = self.rng, self.now_text
        start = Enterprise.objects.count()
        first_id = _next_id(Enterprise)
        writer = Writer(
            Enterprise,
            ["id", "name", "credit_code", "district", "address", "industry", "size", "main_products",
             "rd_capability", "production_capacity", "quality_management", "contact_name", "contact_phone",
             "contact_email", "created_at", "updated_at"],
        )  # fmt: skip
        self.enterprise_district = []
        self.enterprise_names = {}
        sizes = ["micro", "small", "small", "small", "medium", "medium", "large"]
        for index in range(self.scale.enterprises):
            district = self.districts[index % len(self.districts)]
            word = rng.choice(INDUSTRY_WORDS)
            name = f"{district.name[:-1]}{rng.choice(NAME_WORDS)}{word}有限公司{start + index + 1}"
            self.enterprise_names[first_id + index] = name
            writer.add(
                first_id + index,
                name,
                credit_code(start + index + 1, district.code),
                district.pk,
                f"{district.name}{rng.choice(NAME_WORDS)}路{rng.randrange(1, 999)}号",
                rng.choice("CCCCCFIM"),
                rng.choice(sizes),
                f"{word}产品",
                "设有研发部门" if rng.random() < 0.5 else "",
                "",
                rng.choice(["已通过ISO 9001认证", "建立了质量管理制度", ""]),
                _person(rng),
                _phone(rng),
                "",
                now,
                now,
            )
            self.enterprise_district.append((first_id + index, district.pk))
        writer.flush()
        self.say(f"{writer.count} enterprises")

    def pool(self):
        from qiservice.accounts.models import User
        from qiservice.specialists import matching
        from qiservice.specialists.models import Specialist, SpecialistField

        rng, now = self.rng, self.now_text
        first_user, first_sp = _next_id(User), _next_id(Specialist)
        password = make_password("Synthetic-2026-qi")
        users = Writer(User, ["id", "password", "username", "first_name", "last_name", "email", "name", "phone",
                              "is_superuser", "is_staff", "is_active", "date_joined"])  # fmt: skip
        specialists = Writer(
            Specialist,
            ["id", "user", "name", "phone", "email", "district", "employer", "title", "qualifications", "expertise",
             "capacity", "status", "admission_route", "nominated_by", "match_tokens", "admitted_on", "created_at",
             "updated_at"],
        )  # fmt: skip
        fields = Writer(SpecialistField, ["specialist", "field", "proficiency"])
        tokens = {}
        self.specialists = []  # (id, user id, district id, fields)
        self.by_district = {}
        for index in range(self.scale.specialists):
            district = self.districts[index % len(self.districts)]
            own = rng.sample(FIELDS, rng.choice((1, 1, 2, 2, 3)))
            phrases = [rng.choice(FIELD_PHRASES[f]) for f in own]
            expertise = "；".join(phrases)
            key = tuple(phrases)
            if key not in tokens:
                tokens[key] = " ".join(matching.tokenize(expertise))
            name = _person(rng)
            status = "active" if rng.random() < 0.9 else rng.choice(["applicant", "suspended", "retired"])
            user_id, sp_id = first_user + index, first_sp + index
            users.add(user_id, password, f"syn_sp_{sp_id:06d}", "", "", "", name, "", False, False, True, now)
            specialists.add(
                sp_id, user_id, name, _phone(rng), "", district.pk, "某技术机构", rng.choice(["工程师", "高级工程师"]),
                "", expertise, rng.choice((3, 5, 5, 8)), status, "application", "", tokens[key],
                self.first.isoformat(), now, now,
            )  # fmt: skip
            for field in own:
                fields.add(sp_id, field, rng.choice(["basic", "proficient", "expert"]))
            if status == "active":
                self.specialists.append((sp_id, user_id, district.pk, own))
                self.by_district.setdefault(district.pk, []).append(len(self.specialists) - 1)
        users.flush()
        specialists.flush()
        fields.flush()
        self.say(f"{specialists.count} specialists")

    # --- demands ---------------------------------------------------------------------
    def demands(self):
        from qiservice.deadlines.models import Deadline, DeadlinePolicy
        from qiservice.demands.models import (
            Agreement,
            Assignment,
            Demand,
            DemandCategory,
            DemandSearch,
            Dispatch,
            Escalation,
            LedgerEntry,
            Preparation,
            ServicePlan,
            StatusChange,
            Summary,
        )
        from qiservice.evaluations.models import Evaluation

        rng, scale = self.rng, self.scale
        self.policies = dict(DeadlinePolicy.objects.filter(is_active=True).values_list("stage", "working_days"))
        ids = {m: _next_id(m) for m in (Demand, Escalation, Agreement)}
        self.w = {
            "demand": Writer(
                Demand,
                ["id", "number", "enterprise", "district", "address", "source", "contact_name", "contact_phone",
                 "contact_email", "description", "collected_on", "registered_on", "registered_at", "registered_by",
                 "status", "service_mode", "confirmation_reason", "confirmed_at", "specialist", "service_ended_at",
                 "closed_at", "version", "updated_at"],
            ),
            "search": Writer(DemandSearch, ["demand", "grams"]),
            "category": Writer(DemandCategory, ["demand", "category"]),
            "change": Writer(StatusChange, ["demand", "action", "from_status", "to_status", "actor", "reason",
                                            "created_at"]),
            "deadline": Writer(Deadline, ["demand", "stage", "started_on", "working_days", "due_on", "remind_on",
                                          "computed_on_weekends_only", "met_at", "cancelled_at",
                                          "overdue_working_days"]),
            "assignment": Writer(Assignment, ["demand", "specialist", "status", "assigned_by", "assigned_at", "note",
                                              "responded_at", "reason"]),
            "escalation": Writer(Escalation, ["id", "demand", "reason", "needs", "switched_from_direct",
                                              "reported_by", "reported_at"]),
            "dispatch": Writer(Dispatch, ["escalation", "institution", "note", "status", "dispatched_by",
                                          "dispatched_at", "responded_by", "responded_at", "reason", "demand"]),
            "preparation": Writer(Preparation, ["demand", "plan_notes", "process_notes", "special_handling",
                                                "content", "enterprise_suggestions", "risks", "updated_by",
                                                "updated_at"]),
            "agreement": Writer(Agreement, ["id", "demand", "parties", "period_start", "period_end", "content",
                                            "method", "signed_on", "created_by", "created_at"]),
            "plan": Writer(ServicePlan, ["demand", "agreement", "objectives", "resources", "enterprise_informed_on",
                                         "created_by", "created_at"]),
            "ledger": Writer(LedgerEntry, ["demand", "entry_on", "enterprise_contact", "problem", "handling",
                                           "remarks", "author", "created_at", "updated_at"]),
            "summary": Writer(Summary, ["demand", "problems_solved", "methods", "results", "submitted_by",
                                        "submitted_at"]),
            "evaluation": Writer(Evaluation, ["demand", "specialist", "conduct", "attitude", "competence",
                                              "timeliness", "result", "total", "suggestions", "remarks",
                                              "evaluator_name", "channel", "submitted_at"]),
        }  # fmt: skip
        self.next_demand, self.next_escalation, self.next_agreement = ids[Demand], ids[Escalation], ids[Agreement]
        self.staff_ids = [u.pk for u in self.staff]
        self.all_institutions = [i for ids_ in self.institutions.values() for i in ids_]
        self.sequence = {}
        span = (self.today - self.first).days
        # About 72 % of demands reach service; their ledgers share the scale's ledger rows.
        self.ledger_lambda = max(1, scale.demands * 0.72) / max(1, scale.ledger_entries)
        # Demands registered in date order, so numbers rise with time as the workflow's do.
        offsets = sorted(int(span * (rng.random() ** 0.8)) for _ in range(scale.demands))
        for first in range(0, len(offsets), 50_000):
            with transaction.atomic():  # children and parents land together (deferred keys)
                for offset in offsets[first : first + 50_000]:
                    self.demand(self.first + datetime.timedelta(days=offset))
                self.flush_all()
            self.say(f"{min(first + 50_000, len(offsets))} demands, {self.w['ledger'].count} ledger rows")
        self.say(f"{self.w['demand'].count} demands, {self.w['ledger'].count} ledger entries, "
                 f"{self.w['evaluation'].count} evaluations, {self.w['change'].count} status changes, "
                 f"{self.w['deadline'].count} deadlines")  # fmt: skip

    def flush_all(self):
        for writer in self.w.values():  # parents before children: dict order is insertion order
            writer.flush()

    def _final_status(self, age):
        rng = self.rng
        if age > 150:
            roll = rng.random()
            if roll < 0.86:
                return "closed"
            if roll < 0.92:
                return "withdrawn"
            if roll < 0.96:
                return "cancelled"
            return rng.choice(OPEN_LATE[6:])
        if age > 40:
            return rng.choice(["closed"] * 4 + OPEN_LATE[3:] + ["withdrawn", "cancelled"])
        return rng.choice([*OPEN_LATE[:9], "registered", "preparing", "withdrawn"])

    def ts(self, local):
        """A naive Shanghai time as the database's text: UTC, as Django stores it."""
        utc = (local - EIGHT_HOURS).isoformat(" ")
        return utc + "+00" if self.postgres else utc

    def demand(self, registered_on):
        rng, w, cal, ts = self.rng, self.w, self.calendar, self.ts
        demand_id = self.next_demand
        self.next_demand += 1
        year = registered_on.year
        self.sequence[year] = self.sequence.get(year, 0) + 1
        number = f"QI-{year}-{self.sequence[year]:06d}"
        enterprise_id, district_id = rng.choice(self.enterprise_district)
        age = (self.today - registered_on).days
        final = self._final_status(age)
        mode = "assisted" if final in ("escalated", "dispatched", "accepted") or rng.random() < 0.35 else "direct"
        path = ASSISTED_PATH if mode == "assisted" else DIRECT_PATH
        if final in ("withdrawn", "cancelled"):
            statuses = [*path[: rng.randrange(0, 7) + 1], final]
        elif final == "closed":
            statuses = list(path) if rng.random() < 0.9 else [s for s in path if s != "evaluated"]
        else:
            statuses = path[: path.index(final) + 1]
        mode_known = "confirmed" in statuses
        categories = rng.sample(FIELDS, rng.choice((1, 1, 1, 2))) if rng.random() > 0.03 else ["other"]
        field = categories[0] if categories[0] != "other" else "quality_management"
        phrase = rng.choice(FIELD_PHRASES[field])
        local = self.by_district.get(district_id)
        sp_index = rng.choice(local) if local else rng.randrange(len(self.specialists))
        specialist_id, specialist_user, _, _ = self.specialists[sp_index]
        staff = self.staff_ids[rng.randrange(len(self.staff_ids))]
        by_specialist = rng.random() < 0.6
        registrar = specialist_user if by_specialist else staff
        collected_on = registered_on - datetime.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 5)))
        moment = datetime.datetime.combine(registered_on, datetime.time(rng.randrange(8, 18), rng.randrange(60)))
        # Walk the path: one step every few working days (sometimes late), never in the future.
        latest = self.now_local
        times = [moment]
        for _status in statuses[1:]:
            day = cal.add(times[-1].date(), rng.choice(STEPS))
            stamp = datetime.datetime.combine(day, datetime.time(rng.randrange(8, 19), rng.randrange(60)))
            times.append(min(stamp, max(moment, latest)))
        text = [ts(t) for t in times]
        at = dict(zip(statuses, text, strict=True))
        final_status = statuses[-1]
        has_specialist = by_specialist or len(statuses) > 1
        self._specialist = specialist_id if has_specialist else None
        self._dispatch = None
        self._contact = _person(rng)
        description = f"企业希望获得{phrase}方面的帮助，{rng.choice(REASONS)}。"
        w["demand"].add(
            demand_id, number, enterprise_id, district_id, "厦门市某路1号", rng.choice(SOURCES),
            self._contact, _phone(rng), "",
            description,
            collected_on.isoformat(), registered_on.isoformat(), text[0], registrar, final_status,
            mode if mode_known else "", "", at.get("confirmed"), self._specialist, at.get("service_ended"),
            text[-1] if final_status in ("closed", "withdrawn", "cancelled") else None, len(statuses), text[-1],
        )  # fmt: skip
        # The keyword-search index, as the workflow's save would write it.
        grams = search_document(number, self.enterprise_names[enterprise_id], description)
        w["search"].add(demand_id, grams.split() if self.postgres else grams)  # text[] on PostgreSQL
        for category in categories:
            w["category"].add(demand_id, category)
        if has_specialist:
            w["assignment"].add(demand_id, specialist_id, "accepted", registrar if by_specialist else staff,
                                text[0], "", text[0], "")  # fmt: skip
        w["change"].add(demand_id, "register", "", "registered", registrar, "", text[0])
        # Deadlines: registration, then what each status enters and meets.
        open_stages = {}
        policies = self.policies

        def start(stage, day):
            days = policies.get(stage)
            if days is not None:
                open_stages[stage] = (day, days, cal.add(day, days))

        def meet(stage, day, stamp, cancelled=False):
            if stage in open_stages:
                started, days, due = open_stages.pop(stage)
                late = 0 if cancelled else cal.between(due, day)
                w["deadline"].add(demand_id, stage, started.isoformat(), days, due.isoformat(), None, False,
                                  None if cancelled else stamp, stamp if cancelled else None, late)  # fmt: skip

        start("registration", collected_on)
        meet("registration", registered_on, text[0])
        previous = "registered"
        for status, moment_, stamp in zip(statuses[1:], times[1:], text[1:], strict=True):
            day = moment_.date()
            who = staff if status in ("dispatched", "cancelled") else specialist_user
            w["change"].add(demand_id, ACTIONS[status], previous, status, who, "", stamp)
            for stage in MEETS.get(status, ()):
                meet(stage, day, stamp)
            if status in TERMINAL:
                for stage in list(open_stages):
                    meet(stage, day, stamp, cancelled=True)
            else:
                for stage in ENTERS.get(status, ()):
                    start(stage, day)
                if status == "confirmed":
                    start("escalation" if mode == "assisted" else "agreement", day)
                self.records(demand_id, status, day, stamp, specialist_user, staff, phrase, field)
            previous = status
        if self._dispatch:
            w["dispatch"].add(*self._dispatch)
        for stage, (started, days, due) in open_stages.items():
            late = cal.between(due, self.today) if due < self.today else 0
            w["deadline"].add(demand_id, stage, started.isoformat(), days, due.isoformat(), None, False, None, None,
                              late)  # fmt: skip

    def records(self, demand_id, status, day, stamp, actor, staff, phrase, field):
        rng, w = self.rng, self.w
        if status == "preparing":
            w["preparation"].add(demand_id, f"走访企业了解{phrase}需求，约定服务时间", "", "",
                                 json.dumps({field: phrase}, ensure_ascii=False), "", "{}", actor, stamp)  # fmt: skip
        elif status == "escalated":
            self._escalation = self.next_escalation
            self.next_escalation += 1
            w["escalation"].add(self._escalation, demand_id, "需要专业检测设备和资质", f"提供{phrase}服务", False,
                                actor, stamp)  # fmt: skip
        elif status == "dispatched":
            pool = self.institutions.get(field) or self.all_institutions
            self._dispatch = [self._escalation, rng.choice(pool), "", "pending", staff, stamp, None, None, "",
                              demand_id]  # fmt: skip
        elif status == "accepted":
            self._dispatch[3:9] = ["accepted", staff, self._dispatch[5], None, stamp, ""]
        elif status == "agreement_signed":
            self._agreement = self.next_agreement
            self.next_agreement += 1
            w["agreement"].add(self._agreement, demand_id, "服务对象、服务专员", day.isoformat(),
                               (day + SIXTY_DAYS).isoformat(), f"{phrase}相关服务", rng.choice(METHODS),
                               day.isoformat(), actor, stamp)  # fmt: skip
        elif status == "plan_made":
            w["plan"].add(demand_id, self._agreement, f"完成{phrase}", "服务专员1名", day.isoformat(), actor, stamp)
        elif status == "in_service":
            count = max(1, int(rng.expovariate(self.ledger_lambda) + 0.5))
            today, contact, add = self.today, self._contact, w["ledger"].add
            problems = [p.format(p=phrase) for p in PROBLEMS]
            for n in range(count):
                entry_on = min(day + datetime.timedelta(days=2 * n), today).isoformat()
                add(demand_id, entry_on, contact, rng.choice(problems), rng.choice(HANDLINGS), "", actor, stamp, stamp)
        elif status == "summary_submitted":
            w["summary"].add(demand_id, f"解决了企业{phrase}方面的问题", rng.choice(HANDLINGS),
                             "企业相关管理水平明显提升", actor, stamp)  # fmt: skip
        elif status == "evaluated":
            ratings = [rng.choice(RATINGS) for _ in range(5)]
            w["evaluation"].add(demand_id, self._specialist, *ratings, sum(ratings), "", "", self._contact,
                                rng.choice(CHANNELS), stamp)  # fmt: skip

    def finish(self):
        from qiservice.accounts.models import User
        from qiservice.deadlines.models import Deadline
        from qiservice.demands.models import (
            Agreement,
            Assignment,
            Demand,
            DemandCategory,
            DemandSequence,
            Dispatch,
            Escalation,
            LedgerEntry,
            Preparation,
            ServicePlan,
            StatusChange,
            Summary,
        )
        from qiservice.enterprises.models import Enterprise
        from qiservice.evaluations.models import Evaluation
        from qiservice.specialists import matching
        from qiservice.specialists.models import Specialist, SpecialistField

        with transaction.atomic():
            for year, last in self.sequence.items():
                DemandSequence.objects.update_or_create(year=year, defaults={"last": last})
        models = [User, Enterprise, Specialist, SpecialistField, Demand, DemandCategory, StatusChange, Deadline,
                  Assignment, Escalation, Dispatch, Preparation, Agreement, ServicePlan, LedgerEntry, Summary,
                  Evaluation]  # fmt: skip
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # Also mark the freshly copied pages all-visible, as autovacuum would in time:
                # without it an index-only scan reads the table too (82 290 heap fetches for a
                # 501-row capped count of an institution's demands).
                cursor.execute("VACUUM ANALYZE")
            else:
                cursor.execute("ANALYZE")
        matching.forget()
        self.say("sequences reset, statistics refreshed")
