"""Plausible, clearly fictional content for demo applications (also used by tests as a complete form)."""

import datetime
from decimal import Decimal

from stdnum.cn import uscc

TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def credit_code(seed):
    """A valid (check digit included) but fictional unified social credit code."""
    base = f"12{seed:06d}MB{seed:07d}"[:17]
    base = base.replace("I", "1").replace("O", "0").replace("S", "5").replace("V", "U").replace("Z", "2")
    return base + uscc.calc_check_digit(base)


def complete_values(today=None):
    """Field values of every section that pass the eligibility check (declaration fields included)."""
    today = today or datetime.date.today()
    return {
        "address": "示例省示例市高新大道1号", "postcode": "215000", "head_name": "张示例",
        "contact_name": "李联络", "contact_position": "知识产权部部长", "contact_mobile": "13800138000",
        "contact_phone": "0512-66880000", "contact_email": "contact@example.cn",
        "industry_fields": "集成电路；生物医药",
        "department_name": "知识产权运营部", "department_founded": datetime.date(2018, 3, 1),
        "department_duties": "负责园区专利导航、专利信息分析和成果推广。",
        "mechanism": "建立“需求征集—项目立项—过程管理—成果应用”全流程专利导航工作机制。",
        "funding_amount": Decimal("300.00"), "funding_source": "财政专项资金与自有资金", "office_area": Decimal("450.00"),
        "office_address": "示例市高新大道1号知识产权大厦5层", "data_resources": "incoPat；智慧芽；国家专利导航综合服务平台",
        "plan_goals": "三年内形成覆盖重点产业的专利导航服务网络。", "plan_demand": "每年开展需求调研不少于10次。",
        "plan_organisation": "成立基地工作领导小组，制定管理办法。", "plan_promotion": "每年发布产业专利导航成果不少于2项。",
        "integrity_declared": True, "declarant_name": "张示例", "declaration_date": today,
    }


def staff_rows(n=5):
    return [{"name": f"示例人员{i}", "department": "知识产权运营部", "title": "专利分析师", "speciality": "集成电路",
             "years": 3 + i % 10, "employment": "full" if i % 2 else "part"} for i in range(1, n + 1)]


def service_rows(n=5, today=None):
    today = today or datetime.date.today()
    return [{"date": today - datetime.timedelta(days=40 * i), "client": f"示例企业{i}", "client_kind":
             "innovator" if i % 2 else "authority", "project": f"示例产业专利导航项目{i}",
             "navigation_type": ["regional", "industry", "enterprise", "research", "talent"][i % 5],
             "result_form": "专利导航报告", "effect": "支撑产业规划编制。"} for i in range(1, n + 1)]
