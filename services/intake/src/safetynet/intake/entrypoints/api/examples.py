"""Examples of request bodies for the OpenAPI document, one realistic case each: the
README's walk-through. Tests validate every one against its model, so they cannot
drift from the contract."""

from typing import Any

# The README's walk-through: the police report intimate-partner violence with a child
# under 6 at home and a TIPVDA score of 9 (red, a direct dispatch to the 家防中心).
REPORT: dict[str, Any] = {
    "county": "苗栗縣",
    "township": "頭份市",
    "source": {
        "agency_type": "police",
        "agency_name": "苗栗縣警察局頭份分局",
        "reporter_name": "王小明",
        "reporter_phone": "037-000000",
        "mandated_reporter": True,
    },
    "categories": ["intimate_partner_violence"],
    "occurred_at": "2026-11-20T21:30:00+08:00",
    "subjects": [
        {"role": "victim", "name": "王小美", "national_id": "A223456781", "birth_date": "1990-01-01", "sex": "F"},
        {"role": "offender", "name": "李大明", "birth_date": "1988-05-05", "sex": "M"},
    ],
    "household": {"children_under_6": 1, "children_under_18": 2},
    "indicators": {"tipvda_score": 9, "injury": "minor", "offender_lives_with_victim": True},
    "narrative": "鄰居報案，聽到爭吵與摔東西聲。",
}

# A report with only the required fields: what a member of the public can tell.
MINIMAL_REPORT: dict[str, Any] = {
    "county": "南投縣",
    "township": "埔里鎮",
    "source": {"agency_type": "public"},
    "categories": ["vulnerable_family"],
    "subjects": [{"role": "child", "age": 4}],
    "narrative": "鄰居反映家中常無大人照顧幼兒。",
}

REPORT_EXAMPLES = {
    "police_ipv": {
        "summary": "Police: intimate-partner violence, a child under 6 at home (red, direct dispatch)",
        "value": REPORT,
    },
    "minimal": {"summary": "Only the required fields", "value": MINIMAL_REPORT},
}

CHANGE_DESTINATIONS = {
    "co_case": {
        "summary": "A co-case: protection and mental health (共案)",
        "value": {
            "destinations": [
                {"kind": "protection", "unit": "苗栗縣/protection"},
                {"kind": "mental_health", "unit": "苗栗縣/mental_health"},
            ],
            "reason": "加害人疑似精神疾病，併派心衛中心。 "
            "Offender with suspected mental illness: co-case with mental health.",
        },
    },
    "welfare_district": {
        "summary": "The welfare center of the subject's district",
        "value": {
            "destinations": [{"kind": "welfare_center", "unit": "苗栗縣/welfare_center/頭份區"}],
            "reason": "案家實際居住於頭份市。 The family actually lives in 頭份市.",
        },
    },
}

REASSIGN = {
    "other_district": {
        "summary": "To the welfare center of another district",
        "value": {
            "unit": "苗栗縣/welfare_center/竹南區",
            "reason": "案家已遷居竹南鎮。 The family has moved to 竹南鎮.",
        },
    },
}

REJECT = {
    "wrong_district": {
        "summary": "Not this unit's district (非本轄區)",
        "value": {"reason": "wrong_district", "note": "案家已遷居南投縣。 The family has moved to 南投縣."},
    },
    "other": {
        "summary": "Another reason, explained in the note (其他：須說明)",
        "value": {"reason": "other", "note": "案主已由他縣市家防中心處理中。 Handled by another county's center."},
    },
}

CLOSE = {
    "opened": {
        "summary": "A case was opened (開案)",
        "value": {"outcome": "opened", "note": "由社工每週訪視。 Weekly home visits."},
    },
    "not_opened": {
        "summary": "No case opened, with the reason (未開案)",
        "value": {"outcome": "not_opened", "reason": "assessed_no_need"},
    },
}

LONG_TERM_CARE = {
    "place": {
        "summary": "Keep the household in long-term care (長期關懷戶) until a review date",
        "value": {"review_on": "2027-06-30", "note": "獨居長者，每季訪視。 Lives alone; quarterly visits."},
    },
    "renew": {
        "summary": "Renew with a new review date (at most 12 months ahead)",
        "value": {"review_on": "2027-12-31"},
    },
}
