"""Demo demands in every state (called by qiservice.core.demo.load).

About fifty demands of Xiamen manufacturers, each driven through the workflow's rules
functions by the people who would really act: specialists register and serve their own
demands, the agency (陈雅琴 for 集美区, the admin elsewhere) assigns and dispatches,
institutions accept or decline dispatches and serve the assisted ones, enterprises
evaluate through their invitation link, their login or a paper form. A few demands are
nominated as typical cases and reviewed.

What the demo logins find:
- specialist (王建华): work in most stages, from preparing to closed, and a published case;
- staff_jimei: escalated demands to dispatch, and unassigned ones to assign;
- institution (计量院): a dispatch waiting for its answer and several accepted ones;
- enterprise: its own demands, one waiting for its evaluation, one registered online.

Dates: the rules stamp every action "now"; the collection date (collected_on) is spread
over the last five months, and the dates typed into the forms (agreement, ledger, plan)
follow it. Deterministic (a fixed seed); does nothing when demands already exist.
"""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from qiservice.accounts.choices import Role
from qiservice.accounts.models import District, RoleAssignment, User
from qiservice.core.demo import TRADES
from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from . import workflow
from .choices import DemandStatus, ServiceMode
from .models import Demand

METROLOGY_INSTITUTE = "厦门市计量检定测试院"
STANDARDS_INSTITUTE = "厦门市标准化研究院"
TESTING_INSTITUTE = "厦门市产品质量监督检验院"
CERTIFICATION_CENTRE = "厦门质量认证中心"
QUALITY_ASSOCIATION = "厦门市质量管理协会"
HAIXI_TESTING = "厦门海西检测技术有限公司"

# Staff of the institutions that have no demo login, so that dispatches to them can be
# answered. They cannot log in (no usable password).
INSTITUTION_STAFF = [
    (STANDARDS_INSTITUTE, "bzy_staff", "许文斌"),
    (TESTING_INSTITUTE, "zjy_staff", "蔡海燕"),
    (CERTIFICATION_CENTRE, "rzzx_staff", "郭振华"),
    (QUALITY_ASSOCIATION, "zlxh_staff", "谢美玲"),
    (HAIXI_TESTING, "hxjc_staff", "邱俊杰"),
]


@dataclass(frozen=True)
class Need:
    """One kind of demand and the texts its service produces, stage by stage."""

    fields: tuple
    description: str
    content: dict  # preliminary service content by QI field (8.2.3)
    plan_notes: str
    risks: dict
    suggestions: str
    agreement: str
    objectives: str
    milestones: tuple
    ledger: tuple  # (problem, handling) rows of Appendix B
    summary: tuple  # problems solved, methods, results (8.5.1)
    needs: str  # what assistance is asked for when escalated
    institution: str
    case: tuple  # title, highlights
    trades: tuple = ()  # the trades (core.demo.TRADES) it fits; empty: any manufacturer


ELECTRICAL = ("光电", "电子科技", "电力设备", "卫浴", "汽车零部件")

NEEDS = [
    Need(
        fields=("metrology",),
        description="企业{product}生产线新增一批检测设备和卡尺、千分尺等量具，尚未建立计量器具台账和校准周期，"
        "客户二方审核时指出测量数据溯源不清，希望协助建立测量管理体系并完成关键量具校准。",
        content={"metrology": "梳理在用计量器具约120台件，区分强制检定与非强制检定范围，制定校准计划和周期"},
        plan_notes="先现场摸底计量器具，再确定校准方式和周期，最后指导编写测量管理体系文件。",
        risks={"trade_secret": "涉及客户图纸与检测数据，资料仅在企业现场查阅，不带离企业"},
        suggestions="企业希望校准工作尽量安排在周末，不影响正常生产。",
        agreement="计量器具摸底与分类管理、关键量具校准、测量管理体系文件编写指导",
        objectives="三个月内建立计量器具台账并完成关键量具校准，通过客户二方审核中的计量条款。",
        milestones=("计量器具摸底与台账建立", "关键量具送校与结果确认", "测量管理体系文件编写与内审"),
        ledger=(
            ("计量器具台账缺失，部分量具无校准状态标识", "现场逐台清点，依据JJF 1139指导确定校准周期，建立电子台账"),
            ("关键检测设备未开展期间核查", "指导编制期间核查作业指导书，使用核查标准进行核查并记录"),
            ("校准证书结果未做计量确认", "培训质量部人员按测量要求对校准结果进行计量确认"),
        ),
        summary=(
            "解决了计量器具底数不清、校准周期不合理、校准结果未确认的问题",
            "现场摸底、分类管理，依据JJF 1139确定校准周期，开展期间核查与计量确认培训",
            "建立台账126台件，完成关键量具校准38台件，客户二方审核计量条款零不符合项",
        ),
        needs="需具备计量检定校准资质的机构对关键检测设备和量块进行校准并出具证书",
        institution=METROLOGY_INSTITUTE,
        case=(
            "制造企业三个月建成测量管理体系",
            "以客户审核发现的问题为切入点，建立计量确认流程，可复制到同类制造企业",
        ),
    ),
    Need(
        fields=("metrology",),
        description="企业用于贸易结算的电子汽车衡和多台电子台秤未按期检定，能源计量器具配备率不足，"
        "希望了解强制检定要求，完成检定并完善能源计量管理制度。",
        content={"metrology": "核对强制检定计量器具目录，统计电子衡器和能源计量器具配备情况"},
        plan_notes="先办理强制检定，再对照GB 17167核算能源计量器具配备率。",
        risks={"legal": "贸易结算用衡器属强制检定范围，逾期使用存在行政处罚风险"},
        suggestions="希望尽快安排电子汽车衡检定，避免影响出货。",
        agreement="强制检定计量器具梳理与报检、能源计量器具配备评估、能源计量管理制度修订",
        objectives="一个月内完成全部强检衡器检定，两个月内能源计量器具配备率达到GB 17167要求。",
        milestones=("强检器具清单与报检", "电子汽车衡现场检定", "能源计量器具配备评估与制度修订"),
        ledger=(
            ("电子汽车衡检定证书过期两个月", "协助在线申报强制检定，约定现场检定时间"),
            ("主要用能设备未单独配备电能表", "对照GB 17167列出应配未配清单，给出加装建议"),
        ),
        summary=(
            "解决了强检衡器逾期未检、能源计量器具配备不足的问题",
            "梳理强检目录、协助报检，对照国家标准逐项评估能源计量器具配备",
            "完成9台衡器检定，新增电能表12块，能源计量器具配备率由72%提高到96%",
        ),
        needs="需法定计量检定机构对电子汽车衡开展现场强制检定",
        institution=METROLOGY_INSTITUTE,
        case=("中小企业强检衡器合规与能源计量提升", "把强检合规与节能管理结合起来，企业当年节约电费约8%"),
    ),
    Need(
        fields=("standardization",),
        description="企业新研发的{product}暂无适用的国家标准和行业标准，拟制定企业标准并在企业标准信息公共服务平台"
        "自我声明公开，同时有意牵头制定团体标准，需要标准编写和技术指标确定方面的指导。",
        content={"standardization": "对比国内外同类产品标准，确定关键性能指标、检验方法和检验规则"},
        plan_notes="先完成企业标准草案并自我声明，再评估牵头团体标准的条件。",
        risks={"trade_secret": "产品配方与工艺参数属商业秘密，标准中只写性能指标"},
        suggestions="希望标准指标不低于主要客户的采购技术要求。",
        agreement="企业标准起草指导、技术指标比对分析、团体标准立项可行性评估",
        objectives="两个月内完成企业标准自我声明公开，形成团体标准立项建议书。",
        milestones=("国内外标准比对", "企业标准草案编写与内部验证", "自我声明公开与团体标准立项建议"),
        ledger=(
            ("企业标准草案格式不符合GB/T 1.1要求", "逐章讲解GB/T 1.1编写规则，指导修改草案结构"),
            ("关键性能指标的检验方法未明确", "建议引用现行国家标准的试验方法，并补充试样制备要求"),
            ("团体标准参编单位尚未确定", "介绍行业协会团体标准程序，协助联系上下游企业"),
        ),
        summary=(
            "解决了新产品无标可依、标准编写不规范的问题",
            "标准比对、逐条指导编写，引用成熟检测方法，协助联系团体标准发起单位",
            "企业标准已自我声明公开，团体标准立项建议书已提交行业协会",
        ),
        needs="需标准化研究机构对企业标准进行技术审查并指导团体标准立项",
        institution=STANDARDS_INSTITUTE,
        case=("以标准引领新产品上市", "从企业标准到团体标准，帮助企业把技术优势转化为标准话语权"),
    ),
    Need(
        fields=("standardization",),
        description="企业标准体系文件零散，技术标准、管理标准和岗位标准未形成体系，"
        "拟申请标准化良好行为企业评价，希望协助梳理标准体系表并完善标准化管理制度。",
        content={"standardization": "对照GB/T 15496至15498梳理现有文件，编制标准体系结构图和标准明细表"},
        plan_notes="以体系表为主线，分批补齐缺失标准，最后开展自我评价。",
        risks={},
        suggestions="希望在年底前完成自我评价。",
        agreement="标准体系结构图与明细表编制、缺失标准补充、标准化良好行为自我评价辅导",
        objectives="四个月内建成企业标准体系并完成标准化良好行为自我评价。",
        milestones=("现有文件梳理", "标准体系表编制", "缺失标准补充", "自我评价"),
        ledger=(
            ("管理制度与标准混用，编号体系不统一", "制定标准编号规则，按体系表重新编号归类"),
            ("岗位标准缺失，一线操作依赖口头传授", "选取两个关键岗位示范编写岗位作业标准"),
        ),
        summary=(
            "解决了标准文件零散、体系不完整、岗位标准缺失的问题",
            "对照GB/T 15496系列标准梳理文件，示范编写岗位标准，组织内部培训",
            "建成包含236项标准的企业标准体系，完成标准化良好行为自我评价",
        ),
        needs="需标准化研究机构开展标准体系评审与良好行为评价辅导",
        institution=STANDARDS_INSTITUTE,
        case=("制造企业标准体系从零散到系统", "以岗位标准为突破口，让标准真正用到生产一线"),
    ),
    Need(
        fields=("inspection_testing",),
        description="企业{product}拟出口欧盟，需要了解适用的电气安全和电磁兼容检测项目，"
        "安排型式试验并对不合格项进行整改。",
        content={"inspection_testing": "确定适用的欧盟协调标准、电气安全和电磁兼容检测项目以及样品数量"},
        plan_notes="先做预测试找出问题，整改后再送正式型式试验。",
        risks={"information_security": "产品设计图纸只向检测机构提供，不对外公开"},
        suggestions="出口订单交期紧，希望在六周内拿到报告。",
        agreement="检测项目与标准确定、预测试与整改指导、型式试验安排",
        objectives="六周内完成整改并取得型式试验合格报告。",
        milestones=("检测项目确定与送样", "预测试与问题整改", "正式型式试验与报告"),
        ledger=(
            ("预测试传导骚扰超标3dB", "分析电源驱动电路，建议增加共模电感并优化布线"),
            ("产品温升测试接近限值", "建议更换导热材料并增加散热面积，复测通过"),
        ),
        summary=(
            "解决了出口产品电磁兼容超标和温升偏高的问题",
            "预测试定位问题，针对性整改后复测，再安排正式型式试验",
            "取得电气安全和电磁兼容合格报告，出口订单按期交付",
        ),
        needs="需具备CNAS认可的检测机构开展电气安全和电磁兼容型式试验",
        institution=TESTING_INSTITUTE,
        case=("电气产品出口欧盟检测整改一次通过", "预测试加整改的做法大幅缩短了出口检测周期"),
        trades=ELECTRICAL,
    ),
    Need(
        fields=("inspection_testing",),
        description="客户要求企业提供食品包装材料的总迁移量和特定迁移量检测报告，"
        "企业不清楚检测项目和抽样要求，希望协助确定检测方案并送检。",
        content={"inspection_testing": "对照GB 4806.7和GB 31604系列标准确定检测项目、模拟物和样品数量"},
        plan_notes="先确定检测方案，再指导抽样送检，最后解读报告。",
        risks={"trade_secret": "原材料配方不对外提供"},
        suggestions="希望一次送检覆盖主要客户的全部要求。",
        agreement="检测方案确定、抽样送检指导、检测报告解读",
        objectives="一个月内取得覆盖主要客户要求的迁移量检测报告。",
        milestones=("检测方案确定", "抽样与送检", "报告解读与客户答复"),
        ledger=(
            ("企业不清楚应选择哪些食品模拟物", "根据包装食品类型，确定使用4%乙酸和50%乙醇模拟物"),
            ("送检样品未注明生产批次", "指导按批次抽样并填写样品信息单"),
        ),
        summary=(
            "解决了食品接触材料检测项目不明确、抽样不规范的问题",
            "对照国家标准确定检测方案，现场指导抽样，协助解读报告",
            "取得迁移量合格报告，顺利通过客户供应商审核",
        ),
        needs="需具备食品接触材料检测能力的机构开展迁移量检测",
        institution=HAIXI_TESTING,
        case=("食品接触材料检测方案定制", "一次送检覆盖多家客户要求，节约检测费用约30%"),
        trades=("包装印刷", "食品"),
    ),
    Need(
        fields=("certification_accreditation",),
        description="企业计划年内通过ISO 9001质量管理体系认证，现有文件不完善，"
        "希望得到体系建立、内审和管理评审的指导，并了解认证机构选择和认证流程。",
        content={"certification_accreditation": "评估现有质量管理文件与ISO 9001:2015的差距，制定体系建立计划"},
        plan_notes="差距分析后分三步：文件编写、运行与内审、管理评审与认证申请。",
        risks={},
        suggestions="希望对中层管理人员开展一次体系培训。",
        agreement="差距分析、体系文件编写指导、内审员培训、管理评审辅导、认证流程咨询",
        objectives="五个月内完成体系建立和试运行，向认证机构提交认证申请。",
        milestones=("差距分析", "体系文件编写", "试运行与内审", "管理评审与认证申请"),
        ledger=(
            ("企业未识别组织环境和相关方要求", "组织管理层研讨，完成SWOT分析和相关方需求清单"),
            ("内审员无资格，内审流于形式", "开展两天内审员培训，指导完成首次内审"),
            ("管理评审输入不完整", "按标准9.3条逐项列出输入清单，指导召开管理评审会议"),
        ),
        summary=(
            "解决了质量管理体系文件不完善、内审和管理评审不会做的问题",
            "差距分析、分阶段辅导、内审员培训和管理评审现场指导",
            "体系试运行三个月，已向认证机构提交申请，一阶段审核无严重不符合",
        ),
        needs="需认证机构介绍认证流程并安排预审",
        institution=CERTIFICATION_CENTRE,
        case=("小微企业ISO 9001认证辅导", "用五个月帮助小微企业建立能运行的质量管理体系"),
    ),
    Need(
        fields=("certification_accreditation",),
        description="企业新开发的{product}需要确定是否属于强制性产品认证目录，"
        "并办理相应的产品认证，希望协助梳理认证单元划分和样品准备。",
        content={"certification_accreditation": "对照CCC目录和实施规则判断产品类别，梳理认证单元划分"},
        plan_notes="先确认认证类别和单元，再准备送样和工厂检查资料。",
        risks={"information_security": "新产品外观设计未公开，样品照片不得外传"},
        suggestions="希望赶在新品发布会前取得证书。",
        agreement="认证类别判定、认证单元划分、送样与工厂检查准备指导",
        objectives="三个月内取得产品认证证书。",
        milestones=("认证类别与单元确定", "样品型式试验", "工厂检查与发证"),
        ledger=(
            ("企业误以为新产品无需认证", "对照目录和实施规则说明适用范围，确定认证类别"),
            ("工厂质量保证能力文件缺失", "按工厂检查要求列出文件清单并示范编写"),
        ),
        summary=(
            "解决了认证类别判定不清、工厂检查准备不足的问题",
            "对照目录和实施规则逐项判定，提供文件模板并模拟工厂检查",
            "产品一次通过型式试验和工厂检查，按期取得证书",
        ),
        needs="需认证机构确认认证单元并安排型式试验和工厂检查",
        institution=CERTIFICATION_CENTRE,
        case=("新产品认证提速", "认证准备前置，新品上市时间提前约一个月"),
        trades=ELECTRICAL,
    ),
    Need(
        fields=("quality_management",),
        description="企业{product}生产线产品外观不良率长期在3%左右，返工成本高，"
        "希望导入QC小组活动和统计过程控制方法，降低不良率。",
        content={"quality_management": "收集近三个月不良数据，确定QC小组课题和统计过程控制的关键工序"},
        plan_notes="以一个QC小组课题为试点，再推广统计过程控制。",
        risks={},
        suggestions="希望培训安排在交接班时间。",
        agreement="QC小组组建与课题辅导、统计过程控制导入、质量改进方法培训",
        objectives="三个月内外观不良率降到1.5%以下，关键工序建立控制图。",
        milestones=("现状调查与课题选定", "原因分析与对策实施", "效果确认与标准化"),
        ledger=(
            ("不良数据未分类统计", "设计不良分类统计表，用排列图找出划伤和尺寸超差两大主因"),
            ("关键工艺参数波动大，凭经验调整", "指导建立关键参数控制图，制定参数调整规范"),
            ("改进措施未固化", "指导把有效对策写入作业指导书"),
        ),
        summary=(
            "解决了外观不良率高、工艺参数凭经验调整的问题",
            "QC小组活动、排列图和因果图分析、控制图监控关键参数",
            "外观不良率由3.1%降至1.2%，年节约返工成本约40万元",
        ),
        needs="需质量管理专业机构派员辅导QC小组活动并培训统计方法",
        institution=QUALITY_ASSOCIATION,
        case=("QC小组活动降低外观不良", "用基础质量工具解决现场问题，投入小见效快"),
    ),
    Need(
        fields=("quality_management",),
        description="企业拟申报厦门市质量奖，对卓越绩效评价准则理解不深，希望协助开展自评并编写申报材料。",
        content={"quality_management": "对照GB/T 19580开展自评，识别主要优势和改进机会"},
        plan_notes="先组织自评，再按准则条款编写申报材料。",
        risks={"trade_secret": "财务和市场数据仅用于申报材料编写"},
        suggestions="希望邀请往届获奖企业交流经验。",
        agreement="卓越绩效自评辅导、申报材料编写指导、现场评审准备",
        objectives="在申报截止前完成自评报告和申报材料。",
        milestones=("准则培训与自评", "申报材料编写", "现场评审模拟"),
        ledger=(
            ("自评报告只罗列做法，缺少结果数据", "按过程与结果的对应关系补充近三年关键绩效数据"),
            ("战略部署与关键绩效指标脱节", "指导建立战略目标分解表，明确指标与部门对应"),
        ),
        summary=(
            "解决了对卓越绩效准则理解不深、申报材料缺少结果支撑的问题",
            "准则培训、自评辅导、逐条修改申报材料并模拟现场评审",
            "按期提交质量奖申报材料，进入现场评审环节",
        ),
        needs="需质量管理协会安排卓越绩效评审专家辅导",
        institution=QUALITY_ASSOCIATION,
        case=("以卓越绩效自评推动企业管理提升", "申报过程本身就是一次系统的管理诊断"),
    ),
    Need(
        fields=("metrology", "inspection_testing", "certification_accreditation"),
        description="企业新建检测实验室，拟申请检验检测机构资质认定，需要对仪器设备进行校准、"
        "编写检测方法确认报告，并了解资质认定评审要求。",
        content={
            "metrology": "梳理实验室仪器设备的校准需求，确定溯源途径",
            "inspection_testing": "确定拟申请的检测项目和方法，指导方法确认",
            "certification_accreditation": "讲解资质认定评审准则和申请流程",
        },
        plan_notes="仪器校准和方法确认同步推进，再编写管理体系文件。",
        risks={"legal": "未取得资质认定前不得对外出具具有证明作用的数据和结果"},
        suggestions="希望一次性把实验室管理体系建好。",
        agreement="仪器设备校准、检测方法确认指导、资质认定申请辅导",
        objectives="四个月内完成仪器校准、方法确认和体系文件，提交资质认定申请。",
        milestones=("仪器设备校准", "检测方法确认", "体系文件编写", "资质认定申请"),
        ledger=(
            ("天平、温湿度计等仪器未校准", "制定校准计划，联系有资质的机构上门校准"),
            ("方法确认缺少精密度和正确度数据", "指导设计重复性试验和加标回收试验"),
        ),
        summary=(
            "解决了新建实验室仪器未溯源、方法未确认、体系文件缺失的问题",
            "校准溯源、方法确认试验设计、体系文件编写辅导",
            "完成42台仪器校准和15项方法确认，已提交资质认定申请",
        ),
        needs="需具备校准和检测能力的机构完成仪器校准并指导方法确认",
        institution=HAIXI_TESTING,
        case=("企业新建实验室资质认定一站式辅导", "计量、检测、认证协同服务的典型做法"),
    ),
    Need(
        fields=("standardization", "quality_management"),
        description="企业{product}执行的行业标准已更新，需要对照新版标准修订企业内控标准和检验规程，"
        "并对质量部人员进行培训。",
        content={
            "standardization": "比对新旧版行业标准的技术变化，确定内控标准修订内容",
            "quality_management": "修订来料、过程和出厂检验规程",
        },
        plan_notes="先做新旧标准比对，再修订文件，最后培训。",
        risks={},
        suggestions="希望培训后给出一份标准变化要点清单。",
        agreement="新旧标准比对、内控标准和检验规程修订、质量部人员培训",
        objectives="一个月内完成内控标准和检验规程修订，并完成全员培训。",
        milestones=("新旧标准比对", "文件修订", "人员培训"),
        ledger=(
            ("新版标准增加了两项出厂检验项目", "指导修订出厂检验规程并配置相应检测设备"),
            ("检验人员不熟悉新版抽样方案", "开展抽样方案培训并进行现场演练"),
        ),
        summary=(
            "解决了标准更新后内控文件未及时修订的问题",
            "新旧标准逐条比对、修订文件、组织培训和考核",
            "修订内控标准3项、检验规程5份，培训质量部人员26人次",
        ),
        needs="需标准化研究机构解读新版行业标准的技术变化",
        institution=STANDARDS_INSTITUTE,
        case=("标准更新后的快速响应", "建立标准跟踪机制，避免因标准更新导致的质量风险"),
    ),
]

DIRECT_REASONS = [
    "需求明确，服务专员具备相应专业能力，可直接提供服务。",
    "企业问题集中在管理层面，服务专员可现场指导解决。",
    "企业需求以咨询和培训为主，由服务专员直接服务。",
]
ASSISTED_REASONS = [
    "需由具备法定资质的技术机构出具检定、检测或认证结果，上报平台寻求协助。",
    "服务内容超出服务专员个人能力范围，需技术机构协同。",
]
DECLINE_REASONS = [
    "该项目超出本机构检测能力范围，建议派给其他机构。",
    "近期任务饱和，无法在企业要求的时间内完成。",
]
PROGRESS_NOTES = [
    "已与企业质量部约定现场服务时间。",
    "企业已按建议完成第一轮整改，待复核。",
    "已向企业提交阶段性工作报告。",
    "企业负责人对服务进度表示满意。",
]
INSTRUCTIONS = [
    "该企业为区重点培育企业，请优先安排服务。",
    "请于本周内与企业联系，确认服务方式。",
    "请注意保护企业的商业秘密，资料不得外传。",
]
EVALUATION_SUGGESTIONS = [
    "服务专业及时，希望今后继续提供标准更新信息。",
    "建议增加线上培训课程。",
    "",
    "希望能提供更多同行业企业的经验。",
]
RATING_CHOICES = [10, 10, 10, 8, 8, 6]


@dataclass(frozen=True)
class Story:
    """How far one demo demand goes, and by which way."""

    days_ago: int  # when the demand was collected
    district: str
    enterprise: int  # index among the district's enterprises (by pk)
    specialist: str  # username of the serving specialist
    need: int
    path: str = "direct"  # direct / assisted / switch (direct, then switched to assisted)
    until: str = "close"  # the last step taken (see PATHS)
    registrant: str = "self"  # self (the specialist) / agency / enterprise
    declined_by: str = ""  # a specialist who first declines the assignment
    dispatch_decline: str = ""  # "back": the only institution declines; "other": one of two declines
    early_evaluation: bool = False  # the enterprise evaluates before the summary
    channel: str = "link"  # link / portal / paper / none (closed without an evaluation)
    case: str = ""  # publish / approve / nominate
    end: str = ""  # withdraw / cancel after `until`


DIRECT_STEPS = [
    "register",
    "assign",
    "respond",
    "start_preparation",
    "prepare",
    "confirm",
    "sign",
    "plan",
    "inform",
    "start_service",
    "work",
    "end_service",
    "summary",
    "evaluation",
    "close",
    "case",
]
ASSISTED_STEPS = [
    "register",
    "assign",
    "respond",
    "start_preparation",
    "prepare",
    "confirm",
    "escalate",
    "dispatch",
    "accept_dispatch",
    "sign",
    "plan",
    "inform",
    "start_service",
    "work",
    "end_service",
    "summary",
    "evaluation",
    "close",
    "case",
]
SWITCH_STEPS = [
    *DIRECT_STEPS[: DIRECT_STEPS.index("work") + 1],
    "switch",
    "dispatch",
    "accept_dispatch",
    "sign_again",
    "plan_again",
    "inform",
    "restart_service",
    "more_work",
    *DIRECT_STEPS[DIRECT_STEPS.index("end_service") :],
]
PATHS = {"direct": DIRECT_STEPS, "assisted": ASSISTED_STEPS, "switch": SWITCH_STEPS}

J = "集美区"
STORIES = [
    # 王建华 (the demo login "specialist"): work in most stages.
    Story(150, J, 1, "specialist", 0, until="case", channel="link", case="publish"),
    Story(140, J, 2, "specialist", 1, path="assisted", until="case", channel="paper", case="nominate"),
    Story(125, J, 0, "specialist", 8, until="close", channel="portal"),
    Story(95, J, 3, "specialist", 11, until="summary", early_evaluation=True),
    Story(70, J, 0, "specialist", 6, until="summary"),
    Story(62, J, 4, "specialist", 0, path="assisted", until="end_service"),
    Story(48, J, 5, "specialist", 2, until="work"),
    Story(40, J, 6, "specialist", 1, path="assisted", until="plan"),
    Story(20, J, 1, "specialist", 4, path="assisted", until="escalate"),
    Story(12, J, 7, "specialist", 9, until="confirm"),
    Story(6, J, 2, "specialist", 3, until="prepare"),
    # Others of 集美区: the agency's desk and the institution's dispatches.
    Story(110, J, 3, "specialist03", 5, path="assisted", until="close", channel="link"),
    Story(58, J, 0, "specialist03", 9, until="work", registrant="enterprise"),
    Story(35, J, 5, "specialist03", 4, path="assisted", until="dispatch", dispatch_decline="back"),
    Story(30, J, 4, "specialist03", 0, path="assisted", until="accept_dispatch"),
    Story(26, J, 3, "specialist15", 10, path="assisted", until="escalate"),
    Story(18, J, 7, "specialist15", 1, path="assisted", until="dispatch"),
    Story(15, J, 6, "specialist15", 2, until="sign", end="cancel"),
    Story(10, J, 2, "specialist15", 7, until="sign"),
    Story(8, J, 0, "specialist15", 11, until="register", registrant="enterprise", end="withdraw"),
    Story(5, J, 6, "specialist15", 8, until="assign", registrant="agency", declined_by="specialist03"),
    Story(3, J, 5, "specialist03", 3, until="register", registrant="agency"),
    Story(2, J, 0, "specialist", 6, until="register", registrant="enterprise"),
    # The other districts (the admin acts for the agency).
    Story(145, "思明区", 0, "specialist06", 9, until="case", channel="link", case="publish"),
    Story(135, "湖里区", 0, "specialist02", 4, path="assisted", until="close", dispatch_decline="other"),
    Story(130, "同安区", 0, "specialist04", 8, until="close", channel="paper"),
    Story(120, "海沧区", 0, "specialist01", 5, path="assisted", until="close", channel="link"),
    Story(115, "翔安区", 0, "specialist05", 7, until="close", channel="none"),
    Story(105, "思明区", 1, "specialist12", 3, path="assisted", until="evaluation"),
    Story(100, "湖里区", 1, "specialist08", 0, until="evaluation", channel="paper"),
    Story(90, "海沧区", 1, "specialist19", 9, until="case", channel="link", case="approve"),
    Story(85, "同安区", 1, "specialist10", 6, path="assisted", until="summary"),
    Story(80, "翔安区", 1, "specialist11", 2, until="end_service", early_evaluation=True),
    Story(75, "思明区", 2, "specialist18", 9, path="assisted", until="end_service"),
    Story(68, "湖里区", 2, "specialist14", 4, path="assisted", until="work"),
    Story(64, "海沧区", 2, "specialist19", 1, path="switch", until="more_work"),
    Story(60, "同安区", 2, "specialist16", 11, until="work"),
    Story(55, "思明区", 3, "specialist06", 10, until="plan"),
    Story(52, "湖里区", 3, "specialist02", 7, until="sign"),
    Story(50, "思明区", 4, "specialist12", 3, path="assisted", until="sign"),
    Story(45, "同安区", 3, "specialist04", 6, path="assisted", until="accept_dispatch"),
    Story(42, "海沧区", 3, "specialist01", 10, path="assisted", until="accept_dispatch"),
    Story(38, "湖里区", 4, "specialist08", 4, path="assisted", until="dispatch", dispatch_decline="other"),
    Story(33, "翔安区", 2, "specialist05", 8, path="assisted", until="dispatch"),
    Story(28, "思明区", 5, "specialist18", 2, path="assisted", until="escalate"),
    Story(24, "同安区", 4, "specialist10", 6, path="assisted", until="confirm"),
    Story(22, "湖里区", 5, "specialist14", 8, until="confirm"),
    Story(16, "思明区", 6, "specialist06", 0, until="confirm", end="withdraw"),
    Story(14, "海沧区", 4, "specialist19", 1, until="start_preparation"),
    Story(9, "翔安区", 3, "specialist11", 9, until="prepare"),
    Story(7, "同安区", 5, "specialist16", 7, until="prepare", end="withdraw"),
    Story(4, "湖里区", 6, "specialist02", 5, until="register", registrant="agency", end="cancel"),
    Story(4, "思明区", 7, "specialist12", 3, until="register", registrant="agency"),
    Story(1, "湖里区", 7, "specialist08", 10, until="register"),
]


class Director:
    """Plays the stories through the rules, each step by the person who takes it."""

    def __init__(self, admin, stdout=None):
        self.rng = random.Random(20261126)  # noqa: S311 - demo data, not secrets
        self.today = timezone.localdate()
        self.admin = admin
        self.stdout = stdout
        self.staff_jimei = User.objects.filter(username="staff_jimei").first() or admin
        self.enterprise_user = User.objects.filter(username="enterprise").first()
        self.districts = {d.name: d for d in District.objects.all()}
        self.enterprises = {
            name: list(Enterprise.objects.filter(district=d).order_by("pk")) for name, d in self.districts.items()
        }
        # The demo login "enterprise" works for the first enterprise of 集美区: index 0 there.
        home = RoleAssignment.objects.filter(user=self.enterprise_user, role=Role.ENTERPRISE_USER).first()
        self.home = home.enterprise if home else self.enterprises[J][0]
        self.enterprises[J].sort(key=lambda e: e.pk != self.home.pk)
        self.specialists = {s.user.username: s for s in Specialist.objects.select_related("user", "district")}
        self.institutions = {i.name: i for i in Institution.objects.all()}
        self.institution_staff = self._institution_staff()

    def _institution_staff(self):
        staff = {}
        for assignment in RoleAssignment.objects.filter(role=Role.INSTITUTION_STAFF).select_related(
            "user", "institution"
        ):
            staff.setdefault(assignment.institution.name, assignment.user)
        for institution_name, username, name in INSTITUTION_STAFF:
            institution = self.institutions.get(institution_name)
            if institution is None or institution_name in staff:
                continue
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, f"{username}@example.cn", None, name=name)
                RoleAssignment.objects.create(user=user, role=Role.INSTITUTION_STAFF, institution=institution)
            staff[institution_name] = user
        return staff

    # --- helpers -------------------------------------------------------------------------

    def day(self, story, offset):
        """A date typed into a form: `offset` days after collection, never after today."""
        return min(self.today - datetime.timedelta(days=story.days_ago) + datetime.timedelta(days=offset), self.today)

    def agency_for(self, story):
        return self.staff_jimei if story.district == J else self.admin

    def fresh(self, demand):
        return Demand.objects.select_related("enterprise", "specialist__user").get(pk=demand.pk)

    def institution_of(self, story):
        return self.institutions[NEEDS[story.need].institution]

    def worker(self, story, demand):
        """Who serves now: the accepting institution's staff for an assisted demand."""
        if demand.service_mode == ServiceMode.ASSISTED:
            return self.institution_staff[self.institution_of(story).name]
        return demand.specialist.user

    def ratings(self):
        return {
            item: self.rng.choice(RATING_CHOICES)
            for item in ("conduct", "attitude", "competence", "timeliness", "result")
        }

    # --- the steps -------------------------------------------------------------------------

    def play(self, story):
        need = NEEDS[story.need]
        steps = PATHS[story.path]
        demand = None
        for step in steps[: steps.index(story.until) + 1]:
            demand = getattr(self, f"step_{step}")(story, need, demand)
            demand = self.fresh(demand)
        if story.end == "withdraw":
            by = self.enterprise_user if story.registrant == "enterprise" else demand.specialist.user
            workflow.withdraw(demand, by=by, reason="企业已自行委托第三方机构解决，不再需要该项服务。")
        elif story.end == "cancel":
            workflow.cancel(
                demand, by=self.agency_for(story), reason="企业停产搬迁，服务无法继续，经与企业沟通后取消。"
            )
        return self.fresh(demand)

    def enterprise_for(self, story, need):
        """The story's enterprise, or the next one of the district whose trade fits the need
        (the demo login's own enterprise is only used when a story names it)."""
        pool = self.enterprises[story.district]
        chosen = pool[story.enterprise]
        if not need.trades or (story.district == J and chosen.pk == self.home.pk):
            return chosen
        for enterprise in pool[story.enterprise :] + pool[: story.enterprise]:
            if enterprise.pk != self.home.pk and any(trade in enterprise.name for trade in need.trades):
                return enterprise
        return chosen

    def step_register(self, story, need, demand):
        enterprise = self.enterprise_for(story, need)
        product = (enterprise.main_products or "产品").split("、")[0]
        by = {
            "self": self.specialists[story.specialist].user,
            "agency": self.agency_for(story),
            "enterprise": self.enterprise_user,
        }[story.registrant]
        return workflow.register_demand(
            enterprise=enterprise,
            categories=list(need.fields),
            source={"self": self.rng.choice(["onsite", "onsite", "phone"]), "agency": "phone", "enterprise": "web"}[
                story.registrant
            ],
            contact_name=enterprise.contact_name,
            contact_phone=enterprise.contact_phone,
            description=need.description.format(product=product),
            by=by,
            collected_on=self.day(story, 0),
        )

    def step_assign(self, story, need, demand):
        if story.registrant == "self":
            return demand
        agency = self.agency_for(story)
        if story.declined_by:
            first = self._assign(demand, [story.declined_by], agency, "请与企业联系并确认服务方式。")
            workflow.respond_to_assignment(
                self.fresh(demand),
                by=first.specialist.user,
                accept=False,
                reason="本月在办需求较多，无法按时开展服务，请改派其他服务专员。",
            )
        self._assign(self.fresh(demand), [story.specialist], agency, self.rng.choice(INSTRUCTIONS))
        return demand

    def _assign(self, demand, usernames, by, note):
        """Assign to the first of `usernames` (then any active specialist of the district)
        who still has room."""
        candidates = [self.specialists[u] for u in usernames] + [
            s
            for s in self.specialists.values()
            if s.district_id == demand.district_id and s.status == SpecialistStatus.ACTIVE
        ]
        for specialist in candidates:
            try:
                with transaction.atomic():
                    return workflow.assign(self.fresh(demand), specialist, by=by, note=note)
            except workflow.WorkflowError:
                continue
        raise workflow.WorkflowError(f"no specialist can take {demand.number}")

    def step_respond(self, story, need, demand):
        if story.registrant == "self":
            return demand
        specialist = demand.specialist
        workflow.respond_to_assignment(demand, by=specialist.user, accept=True)
        return demand

    def step_start_preparation(self, story, need, demand):
        workflow.start_preparation(demand, by=demand.specialist.user)
        return demand

    def step_prepare(self, story, need, demand):
        by = demand.specialist.user
        workflow.save_preparation(
            demand,
            by=by,
            plan_notes=need.plan_notes,
            content=need.content,
            risks=need.risks,
            process_notes="与企业质量负责人面谈，查阅相关记录，现场查看生产和检验环节。",
            enterprise_suggestions=need.suggestions,
        )
        if story.need % 2 == 0:
            e = demand.enterprise
            workflow.verify_enterprise(
                self.fresh(demand), by=by, main_products=e.main_products, quality_management=e.quality_management
            )
        if story.district == J and story.days_ago % 3 == 0:
            workflow.add_note(self.fresh(demand), by=self.staff_jimei, kind="instruction", text=INSTRUCTIONS[0])
        return demand

    def step_confirm(self, story, need, demand):
        assisted = story.path == "assisted"
        workflow.confirm(
            demand,
            by=demand.specialist.user,
            mode=ServiceMode.ASSISTED if assisted else ServiceMode.DIRECT,
            reason=self.rng.choice(ASSISTED_REASONS if assisted else DIRECT_REASONS),
        )
        return demand

    def _agreement(self, story, need, offset):
        signed = self.day(story, offset)
        return {
            "period_start": signed,
            "period_end": signed + datetime.timedelta(days=self.rng.choice([60, 90, 120])),
            "content": need.agreement,
            "method": self.rng.choice(["onsite", "onsite", "mixed"]),
            "signed_on": signed,
        }

    def step_sign(self, story, need, demand):
        workflow.sign_agreement(demand, by=self.worker(story, demand), **self._agreement(story, need, 7))
        return demand

    def step_sign_again(self, story, need, demand):
        # The tripartite agreement once an institution took over the switched service.
        workflow.sign_agreement(demand, by=self.worker(story, demand), **self._agreement(story, need, 30))
        return demand

    def _plan(self, story, need, demand, offset):
        start = self.day(story, offset)
        workflow.make_plan(
            demand,
            by=self.worker(story, demand),
            objectives=need.objectives,
            milestones=[
                {"title": title, "due_on": start + datetime.timedelta(days=20 * (i + 1))}
                for i, title in enumerate(need.milestones)
            ],
            resources="服务专员1名" + ("，技术机构工程师2名" if demand.service_mode == ServiceMode.ASSISTED else ""),
        )

    def step_plan(self, story, need, demand):
        self._plan(story, need, demand, 9)
        return demand

    def step_plan_again(self, story, need, demand):
        self._plan(story, need, demand, 32)
        return demand

    def step_inform(self, story, need, demand):
        if demand.enterprise_id == self.home.pk and self.enterprise_user is not None:
            by = self.enterprise_user  # the enterprise acknowledges the plan itself
        else:
            by = demand.specialist.user
        workflow.mark_informed(demand, by=by, informed_on=self.day(story, 11))
        return demand

    def step_start_service(self, story, need, demand):
        workflow.start_service(demand, by=self.worker(story, demand))
        return demand

    step_restart_service = step_start_service

    def step_work(self, story, need, demand, first_offset=14):
        """Ledger entries, milestone progress and a progress note."""
        worker = self.worker(story, demand)
        contact = demand.enterprise.contact_name
        for i, (problem, handling) in enumerate(need.ledger):
            entry_on = self.day(story, first_offset + 10 * i)
            by = worker if i % 2 == 0 else demand.specialist.user
            workflow.add_ledger_entry(
                self.fresh(demand),
                by=by,
                entry_on=entry_on,
                enterprise_contact=contact,
                problem=problem,
                handling=handling,
            )
        plan = demand.plans.order_by("-created_at", "-pk").first()
        milestones = list(plan.milestones.order_by("due_on", "pk"))
        done = len(milestones) - 1 if story.until == "work" else len(milestones)
        for i, milestone in enumerate(milestones):
            progress = 100 if i < done else self.rng.choice([30, 50, 70])
            workflow.update_milestone(
                milestone,
                by=worker,
                progress=progress,
                notes="按计划完成" if progress == 100 else "正在进行",
                done_on=self.day(story, first_offset + 10 * i) if progress == 100 else None,
            )
        workflow.add_note(self.fresh(demand), by=worker, kind="progress", text=self.rng.choice(PROGRESS_NOTES))
        return demand

    def step_more_work(self, story, need, demand):
        return self.step_work(story, need, demand, first_offset=36)

    def step_switch(self, story, need, demand):
        workflow.escalate(
            demand,
            by=demand.specialist.user,
            reason="服务中发现企业需要具备资质的机构出具正式报告，转为寻求协助。",
            needs=need.needs,
        )
        return demand

    def step_escalate(self, story, need, demand):
        workflow.escalate(demand, by=demand.specialist.user, reason=self.rng.choice(ASSISTED_REASONS), needs=need.needs)
        return demand

    def step_dispatch(self, story, need, demand):
        agency = self.agency_for(story)
        institution = self.institution_of(story)
        others = [i for name, i in sorted(self.institutions.items()) if i != institution and i.is_active]
        other = others[story.need % len(others)]
        if story.dispatch_decline == "back":
            # The first choice declines: the demand is back on the agency's desk.
            workflow.dispatch(demand, by=agency, institutions=[other], note="请评估能否承接。")
            workflow.decline_dispatch(
                self.fresh(demand), by=self.institution_staff[other.name], reason=self.rng.choice(DECLINE_REASONS)
            )
            return demand
        if story.dispatch_decline == "other":
            workflow.dispatch(demand, by=agency, institutions=[institution, other], note="两家机构均可承接，先接先得。")
            workflow.decline_dispatch(
                self.fresh(demand), by=self.institution_staff[other.name], reason=self.rng.choice(DECLINE_REASONS)
            )
            return demand
        workflow.dispatch(demand, by=agency, institutions=[institution], note="请于三个工作日内答复。")
        return demand

    def step_accept_dispatch(self, story, need, demand):
        workflow.accept_dispatch(demand, by=self.institution_staff[self.institution_of(story).name])
        return demand

    def step_end_service(self, story, need, demand):
        invitation = workflow.end_service(demand, by=self.worker(story, demand))
        self.invitations = getattr(self, "invitations", {})
        self.invitations[demand.pk] = invitation
        if story.early_evaluation:
            self._evaluate(story, self.fresh(demand))
        return demand

    def step_summary(self, story, need, demand):
        problems, methods, results = need.summary
        workflow.submit_summary(
            demand, by=demand.specialist.user, problems_solved=problems, methods=methods, results=results
        )
        return demand

    def step_evaluation(self, story, need, demand):
        if story.channel != "none" and not hasattr(demand, "evaluation"):
            self._evaluate(story, demand)
        return demand

    def _evaluate(self, story, demand):
        common = {"ratings": self.ratings(), "suggestions": self.rng.choice(EVALUATION_SUGGESTIONS)}
        if story.channel == "portal" and self.enterprise_user is not None:
            workflow.record_evaluation(demand, channel="portal", by=self.enterprise_user, **common)
        elif story.channel == "paper":
            workflow.record_evaluation(
                demand,
                channel="paper",
                by=self.agency_for(story),
                evaluator_name=demand.contact_name,
                remarks="企业填写纸质评价表后回传",
                **common,
            )
        else:
            workflow.record_evaluation(
                demand,
                channel="link",
                invitation=self.invitations[demand.pk],
                evaluator_name=demand.contact_name,
                **common,
            )

    def step_close(self, story, need, demand):
        if demand.status == DemandStatus.SUMMARY_SUBMITTED:
            workflow.close(
                demand, by=self.agency_for(story), reason="企业逾期未答复评价邀请，经电话回访确认服务已完成。"
            )
        else:
            workflow.close(demand, by=demand.specialist.user)
        return demand

    def step_case(self, story, need, demand):
        title, highlights = need.case
        trade = next((t for t, *_rest in TRADES if t in demand.enterprise.name), "制造")
        case = workflow.nominate_case(
            demand,
            by=demand.specialist.user,
            title=title,
            highlights=highlights,
            masked_enterprise=f"{story.district}某{trade}企业",
        )
        if story.case in ("publish", "approve"):
            workflow.review_case(
                case, by=self.admin, approve=True, comments="典型性强，同意入库。", publish=story.case == "publish"
            )
        return demand


def load_demands(*, admin, stdout=None):
    """Create the demo demands once; does nothing when there already are demands."""
    if Demand.objects.exists():
        return []
    with transaction.atomic():
        director = Director(admin, stdout)
        demands = [director.play(story) for story in sorted(STORIES, key=lambda s: -s.days_ago)]
    if stdout:
        statuses = {d.status for d in demands}
        stdout.write(f"demo demands: {len(demands)} demands in {len(statuses)} statuses")
    return demands
