"""The reason-code catalogue of decision model v1.

Codes are a stable, public vocabulary (stored with every decision and shown
to dispatchers), so they live in one table: renaming or re-wording one is a
rule change and needs a RULE_VERSION bump. The prefix tells which part of
the model produced the reason: RED_/ORANGE_/YELLOW_/GREEN_ (risk light),
DEST_/YOUTH_ (destinations), DIRECT_ (direct dispatch), REVIEW_ (why a
dispatcher must act). The re-report-after-closure codes (DIRECT_RECENT_CLOSED_
REFERRAL, REREPORT_*) are routing's, with the rule (routing domain/rereport.py), as are v1.1's
DIRECT_OPEN_CASE and DIRECT_LONG_TERM_CARE. The v1.1 codes here (BSRS5_*, MH_LOW_SCREEN,
EARLY_INTERVENTION) only ever appear under a version whose switch is on.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from .model import Reason

# --- risk light -----------------------------------------------------------
RED_TIPVDA_HIGH: Final = "RED_TIPVDA_HIGH"
RED_INJURY_SEVERE: Final = "RED_INJURY_SEVERE"
RED_THREAT_TO_KILL: Final = "RED_THREAT_TO_KILL"
RED_WEAPON: Final = "RED_WEAPON"
RED_SUICIDE_ATTEMPT: Final = "RED_SUICIDE_ATTEMPT"
RED_SEXUAL_OFFENDER_COHABITING: Final = "RED_SEXUAL_OFFENDER_COHABITING"
RED_CHILD_UNDER_6_MALTREATMENT_INJURY: Final = "RED_CHILD_UNDER_6_MALTREATMENT_INJURY"
ORANGE_TIPVDA_MEDIUM: Final = "ORANGE_TIPVDA_MEDIUM"
ORANGE_INJURY_MINOR: Final = "ORANGE_INJURY_MINOR"
ORANGE_SUICIDE_IDEATION: Final = "ORANGE_SUICIDE_IDEATION"
ORANGE_MENTAL_ILLNESS_WITH_PROTECTION: Final = "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION"
ORANGE_EARLIER_REPORT: Final = "ORANGE_EARLIER_REPORT"
ORANGE_IPV_CHILD_UNDER_6: Final = "ORANGE_IPV_CHILD_UNDER_6"
YELLOW_PROTECTION_CATEGORY: Final = "YELLOW_PROTECTION_CATEGORY"
YELLOW_YOUTH_LAW_VIOLATION: Final = "YELLOW_YOUTH_LAW_VIOLATION"
YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6: Final = "YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6"
GREEN_NO_RISK_CONDITION: Final = "GREEN_NO_RISK_CONDITION"

# --- destinations ---------------------------------------------------------
DEST_PROTECTION_CATEGORY: Final = "DEST_PROTECTION_CATEGORY"
DEST_WELFARE_VULNERABLE_FAMILY: Final = "DEST_WELFARE_VULNERABLE_FAMILY"
DEST_WELFARE_SOCIAL_ASSISTANCE: Final = "DEST_WELFARE_SOCIAL_ASSISTANCE"
DEST_WELFARE_ECONOMIC_HARDSHIP: Final = "DEST_WELFARE_ECONOMIC_HARDSHIP"
DEST_WELFARE_CHILD_UNDER_12: Final = "DEST_WELFARE_CHILD_UNDER_12"
DEST_MENTAL_HEALTH_SUICIDE_RISK: Final = "DEST_MENTAL_HEALTH_SUICIDE_RISK"
DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS: Final = "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"
DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT: Final = "DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT"
DEST_MENTAL_HEALTH_SUICIDE_IDEATION: Final = "DEST_MENTAL_HEALTH_SUICIDE_IDEATION"
DEST_MENTAL_HEALTH_PROTECTION_CO_CASE: Final = "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE"
DEST_YOUTH_COUNSELING: Final = "DEST_YOUTH_COUNSELING"
YOUTH_AGE_OUT_OF_SCOPE: Final = "YOUTH_AGE_OUT_OF_SCOPE"

# --- direct dispatch -------------------------------------------------------
DIRECT_IPV_CHILD_UNDER_6: Final = "DIRECT_IPV_CHILD_UNDER_6"
DIRECT_EARLIER_REPORT: Final = "DIRECT_EARLIER_REPORT"

# --- decision model v1.1 (each rule its own code; off in v1) ----------------
# Rule 3, BSRS-5 (簡式健康量表): the suicide item counting as suicide ideation (orange and
# mental health), a severe or moderate total (mental health; severe is also orange), and
# a low screen that holds back a mental-health destination triggered only by suspected
# mental illness until a dispatcher confirms it.
BSRS5_SUICIDE: Final = "BSRS5_SUICIDE"
BSRS5_SEVERE: Final = "BSRS5_SEVERE"
BSRS5_MODERATE: Final = "BSRS5_MODERATE"
MH_LOW_SCREEN: Final = "MH_LOW_SCREEN"
# Rule 4, early intervention (檢警早期介入): a severe child-abuse case; notify tells the
# county's designated prosecutor's office and police unit.
EARLY_INTERVENTION: Final = "EARLY_INTERVENTION"

# --- human review ---------------------------------------------------------
REVIEW_NO_DESTINATION: Final = "REVIEW_NO_DESTINATION"
REVIEW_UNIT_NOT_MAPPED: Final = "REVIEW_UNIT_NOT_MAPPED"

_TEXTS: dict[str, str] = {
    RED_TIPVDA_HIGH: "TIPVDA 分數 ≥ 8（高度危險）/ TIPVDA score >= 8",
    RED_INJURY_SEVERE: "嚴重受傷 / Severe injury",
    RED_THREAT_TO_KILL: "揚言殺害 / Threat to kill",
    RED_WEAPON: "使用武器 / Weapon used",
    RED_SUICIDE_ATTEMPT: "自殺企圖 / Suicide attempt",
    RED_SEXUAL_OFFENDER_COHABITING: (
        "性侵害或兒少性剝削，加害人與被害人同住 / "
        "Sexual assault or child sexual exploitation, offender lives with victim"
    ),
    RED_CHILD_UNDER_6_MALTREATMENT_INJURY: ("兒少虐待，未滿 6 歲且受傷 / Child maltreatment, subject under 6 injured"),
    ORANGE_TIPVDA_MEDIUM: "TIPVDA 分數 4–7 / TIPVDA score 4-7",
    ORANGE_INJURY_MINOR: "輕微受傷 / Minor injury",
    ORANGE_SUICIDE_IDEATION: "自殺意念 / Suicide ideation",
    ORANGE_MENTAL_ILLNESS_WITH_PROTECTION: ("保護案件合併疑似精神疾病 / Protection case with suspected mental illness"),
    ORANGE_EARLIER_REPORT: ("365 天內曾被通報 / Subject named in a report within 365 days"),
    ORANGE_IPV_CHILD_UNDER_6: ("親密關係暴力，有未滿 6 歲兒童 / Intimate-partner violence, child under 6"),
    YELLOW_PROTECTION_CATEGORY: "保護性案件 / Protection category",
    YELLOW_YOUTH_LAW_VIOLATION: "少年觸法 / Youth law violation",
    YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6: ("脆弱家庭，有未滿 6 歲兒童 / Vulnerable family, child under 6"),
    GREEN_NO_RISK_CONDITION: "無風險條件成立 / No risk condition held",
    DEST_PROTECTION_CATEGORY: ("保護性案件派家防中心 / Protection category -> protection"),
    DEST_WELFARE_VULNERABLE_FAMILY: ("脆弱家庭派社福中心 / Vulnerable family -> welfare center"),
    DEST_WELFARE_SOCIAL_ASSISTANCE: ("社會救助派社福中心 / Social assistance -> welfare center"),
    DEST_WELFARE_ECONOMIC_HARDSHIP: ("經濟困難派社福中心 / Economic hardship -> welfare center"),
    DEST_WELFARE_CHILD_UNDER_12: (
        "少年偏差或觸法，兒童未滿 12 歲派社福中心 / Youth deviance or law violation, child under 12 -> welfare center"
    ),
    DEST_MENTAL_HEALTH_SUICIDE_RISK: "自殺風險派心衛 / Suicide risk -> mental health",
    DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS: ("疑似精神疾病派心衛 / Suspected mental illness -> mental health"),
    DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT: ("自殺企圖派心衛 / Suicide attempt -> mental health"),
    DEST_MENTAL_HEALTH_SUICIDE_IDEATION: ("自殺意念派心衛 / Suicide ideation -> mental health"),
    DEST_MENTAL_HEALTH_PROTECTION_CO_CASE: (
        "保護案件合併精神疾病，與心衛共案 / Protection with suspected mental illness -> mental health co-case"
    ),
    DEST_YOUTH_COUNSELING: (
        "少年 12–17 歲偏差或觸法派少輔會 / Youth aged 12-17, deviance or law violation -> youth counseling"
    ),
    YOUTH_AGE_OUT_OF_SCOPE: (
        "少年年齡未知或已滿 18 歲，少年規則不派案 / Youth rule: age unknown or 18+, no destination"
    ),
    DIRECT_IPV_CHILD_UNDER_6: (
        "逕派：親密關係暴力有年幼子女 / Direct dispatch: intimate-partner violence with a child under 6"
    ),
    DIRECT_EARLIER_REPORT: ("逕派：365 天內多次通報 / Direct dispatch: named in a report within 365 days"),
    BSRS5_SUICIDE: (
        "BSRS-5 自殺意念題 ≥ 2，視同自殺意念 / BSRS-5 suicidal-thoughts item >= 2, counts as suicide ideation"
    ),
    BSRS5_SEVERE: ("BSRS-5 總分 ≥ 15（重度），派心衛 / BSRS-5 total >= 15 (severe) -> mental health"),
    BSRS5_MODERATE: ("BSRS-5 總分 10–14（中度），派心衛 / BSRS-5 total 10-14 (moderate) -> mental health"),
    MH_LOW_SCREEN: (
        "僅因疑似精神疾病派心衛，但 BSRS-5 總分 ≤ 5 且自殺題 ≤ 1：待派案人員確認 / "
        "Mental health only for suspected mental illness, BSRS-5 total <= 5 and suicide <= 1: "
        "dispatcher to confirm"
    ),
    EARLY_INTERVENTION: (
        "嚴重兒虐案件，通知檢警早期介入 / Severe child abuse: prosecutor and police notified for early intervention"
    ),
    REVIEW_NO_DESTINATION: ("無符合的派案單位，待人工審查 / No destination matched, human review"),
    REVIEW_UNIT_NOT_MAPPED: (
        "派案單位未設定（如鄉鎮未對應社福中心），待人工審查 / Unit not mapped (e.g. township), human review"
    ),
}

# Read-only view: the catalogue is part of the rule version, not runtime state.
REASON_TEXTS = MappingProxyType(_TEXTS)


def reason(code: str) -> Reason:
    """The catalogue Reason for a code (KeyError for an unknown code, so a
    typo in a rule fails loudly in tests rather than shipping a blank text)."""
    return Reason(code=code, text=REASON_TEXTS[code])
