"""Traditional Chinese labels (with English where staff search by it) for the contract's
enum values. Unknown values show as they are, so a new enum value never breaks a page."""

from collections.abc import Mapping
from typing import Any

from safetynet.policy.outcomes import OUTCOME_LABELS, OUTCOME_REASONS

RISK = {
    "red": "紅燈 Red",
    "orange": "橙燈 Orange",
    "yellow": "黃燈 Yellow",
    "green": "綠燈 Green",
    None: "未分級 Not graded",
}

REPORT_STATUS = {
    "received": "已收案 Received",
    "awaiting_review": "待審核 Awaiting review",
    "assigned": "已派案 Assigned",
    "acknowledged": "已簽收 Acknowledged",
    "closed": "已結案 Closed",
}

REFERRAL_STATUS = {
    "assigned": "待簽收 Awaiting acknowledgement",
    "acknowledged": "已簽收 Acknowledged",
    "rejected": "已退回 Rejected",
    "closed": "已結案 Closed",
    "reassigned": "已改派 Reassigned",
    "long_term_care": "長期關懷 Long-term care",
}

KIND = {
    "protection": "家防中心 Protection",
    "welfare_center": "社福中心 Welfare center",
    "mental_health": "心衛中心 Mental health",
    "youth_counseling": "少輔會 Youth counseling",
}

# The ops view's "waiting on" stages (domain/waiting.py).
WAITING_STAGE = {
    "screening": "篩案中 Screening",
    "routing": "派案系統處理中 Routing",
    "dispatcher": "待派案人員審核 Dispatch queue",
    "unit": "待單位簽收 Unit",
    "done": "—",
}

SLA_STATE = {"open": "計時中 Open", "breached": "已逾時 Breached", "met": "已完成 Met"}

CATEGORY = {
    "intimate_partner_violence": "親密關係暴力",
    "other_family_violence": "其他家庭暴力",
    "child_maltreatment": "兒少虐待",
    "sexual_assault": "性侵害",
    "child_sexual_exploitation": "兒少性剝削",
    "elder_abuse": "老人虐待",
    "disability_abuse": "身障者虐待",
    "vulnerable_family": "脆弱家庭",
    "social_assistance": "社會救助",
    "suicide_risk": "自殺風險",
    "suspected_mental_illness": "疑似精神疾病",
    "youth_deviance": "少年偏差行為",
    "other": "其他",
}

ROLE = {
    "victim": "被害人 Victim",
    "offender": "相對人 Offender",
    "child": "兒童 Child",
    "youth": "少年 Youth",
    "adult": "成人 Adult",
}

STAFF_ROLE = {"dispatcher": "派案人員 Dispatcher", "supervisor": "督導 Supervisor", "unit": "派案單位 Unit"}

SEX = {"F": "女 F", "M": "男 M", "X": "其他 X"}

AGENCY = {
    "police": "警政",
    "school": "教育",
    "hospital": "醫療",
    "health": "衛政",
    "social_welfare": "社政",
    "household_registration": "戶政",
    "labor": "勞政",
    "judicial": "司法",
    "civil_affairs": "民政",
    "ngo": "民間單位",
    "public": "民眾",
}

INDICATOR = {
    "tipvda_score": "TIPVDA 分數",
    "injury": "受傷程度",
    "weapon": "使用武器",
    "threat_to_kill": "揚言殺害",
    "offender_lives_with_victim": "相對人同住",
    "suicide_attempt": "自殺企圖",
    "suicide_ideation": "自殺意念",
    "suspected_mental_illness": "疑似精神疾病",
    "youth_law_violation": "少年觸法",
    "economic_hardship": "經濟困難",
}

INJURY = {"none": "無", "minor": "輕傷", "severe": "重傷"}

HOUSEHOLD = {"children_under_6": "未滿 6 歲兒童", "children_under_18": "未滿 18 歲兒少"}

# Timeline entries: exact names first, then by prefix (status_*, referral_*, requested_*).
EVENT = {
    "received": "收案",
    "screened": "篩案完成",
    "command_rejected": "動作被拒",
    "sla_started": "開始計時",
    "sla_warning": "即將逾時警示",
    "sla_breached": "逾時",
    "sla_met": "時限內完成",
    "sla_rescheduled": "時限調整",
    "requested_confirm_destinations": "申請確認派案",
    "requested_change_destinations": "申請變更派案",
    "requested_reassign_referral": "申請改派",
    "requested_acknowledge_referral": "申請簽收",
    "requested_reject_referral": "申請退回",
    "requested_close_referral": "申請結案",
    "requested_place_in_long_term_care": "申請列為長期關懷戶",
}
EVENT_PREFIX = {
    "status_": ("狀態：", REPORT_STATUS),
    "referral_": ("派案：", REFERRAL_STATUS),
    "notification_": ("通知：", {"recorded": "已記錄", "delivered": "已送達", "failed": "失敗"}),
}


# The outcome vocabulary's own labels (safetynet.policy.outcomes): 開案 or not, and why.
OUTCOME: Mapping[str, str] = OUTCOME_LABELS
OUTCOME_REASON: Mapping[str, str] = {code: reason.label for code, reason in OUTCOME_REASONS.items()}


def label(table: Mapping[Any, str], value: object) -> str:  # templates pass any value
    return str(table.get(value, value))


def event_label(event: str) -> str:
    if event in EVENT:
        return EVENT[event]
    for prefix, (head, table) in EVENT_PREFIX.items():
        if event.startswith(prefix):
            rest = event[len(prefix) :]
            return head + str(table.get(rest, rest))
    return event
