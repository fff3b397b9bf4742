"""The load model: which reports the benchmark posts, and in what proportions.

Volumes come from DOMAIN.md, "Volumes (for load models)"; where DOMAIN.md gives no
figure the number below is an assumption, marked as such. All weights are reports a
year, so they can be compared with the real volumes directly.

Counties (reports a year):
- 新竹縣 Hsinchu County: 5,031, the sum of its 2020 protection figures (002).
- 南投縣 Nantou: ~5,250 (10,500 in 2019–2020, 001).
- 新竹市 Hsinchu City: ~4,900 (9,798 in 2019–2020, 003).
- 苗栗縣 Miaoli: ~5,000 (assumed "similar"; 000 gives rates, not a volume).

Category mix (Hsinchu County 2020, 002, plus assumed non-protection volumes):
- family violence 2,863, split 60 % intimate-partner / 40 % other family (assumed split);
- child protection 1,798 (child maltreatment);
- sexual assault 289, of which 10 % child sexual exploitation (assumed split);
- disability protection 41; elder protection 40;
- assumed: vulnerable family 1,500, social assistance 200, suicide risk 600, suspected
  mental illness 150, youth deviance 250, other 100. The seeds describe these streams
  (one window for "welfare, protection, mental health, social assistance, high-risk
  families and suicide prevention", 002) without a count.

Indicator probabilities (TIPVDA scores, injuries, children in the household, ...) are
assumptions chosen so that every risk light and both "assign at once" paths (red, and
direct dispatch) occur; `describe()` prints the realised shares. A share of reports
(default 5 %) names a subject already named earlier in the run: a re-report, which the
decision model dispatches directly.
"""

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tests.support.scenarios import random_national_id

TAIPEI = timezone(timedelta(hours=8))

COUNTY_WEIGHTS: dict[str, int] = {"新竹縣": 5_031, "南投縣": 5_250, "新竹市": 4_900, "苗栗縣": 5_000}

TOWNSHIPS: dict[str, list[str]] = {
    "苗栗縣": [
        "竹南鎮",
        "造橋鄉",
        "後龍鎮",
        "苗栗市",
        "頭屋鄉",
        "公館鄉",
        "銅鑼鄉",
        "三義鄉",
        "通霄鎮",
        "苑裡鎮",
        "西湖鄉",
        "頭份市",
        "三灣鄉",
        "南庄鄉",
        "大湖鄉",
        "卓蘭鎮",
        "獅潭鄉",
        "泰安鄉",
    ],
    "南投縣": [
        "南投市",
        "名間鄉",
        "草屯鎮",
        "中寮鄉",
        "埔里鎮",
        "國姓鄉",
        "仁愛鄉",
        "水里鄉",
        "魚池鄉",
        "集集鎮",
        "信義鄉",
        "竹山鎮",
        "鹿谷鄉",
    ],
    "新竹縣": [
        "竹北市",
        "竹東鎮",
        "新埔鎮",
        "關西鎮",
        "湖口鄉",
        "新豐鄉",
        "芎林鄉",
        "橫山鄉",
        "北埔鄉",
        "寶山鄉",
        "峨眉鄉",
        "尖石鄉",
        "五峰鄉",
    ],
    "新竹市": ["東區", "北區", "香山區"],
}

CATEGORY_WEIGHTS: dict[str, int] = {
    "intimate_partner_violence": 1_718,  # 60 % of family violence 2,863 (assumed split)
    "other_family_violence": 1_145,  # 40 %
    "child_maltreatment": 1_798,
    "sexual_assault": 260,  # 90 % of 289
    "child_sexual_exploitation": 29,  # 10 % of 289
    "disability_abuse": 41,
    "elder_abuse": 40,
    "vulnerable_family": 1_500,  # assumed from here on
    "social_assistance": 200,
    "suicide_risk": 600,
    "suspected_mental_illness": 150,
    "youth_deviance": 250,
    "other": 100,
}

# Who reports what (assumed): the agency types the benchmark mints keys for.
AGENCY_TYPES = ("police", "school", "hospital", "health", "social_welfare")
SOURCES: dict[str, dict[str, int]] = {
    "intimate_partner_violence": {"police": 70, "hospital": 20, "social_welfare": 10},
    "other_family_violence": {"police": 60, "hospital": 20, "social_welfare": 20},
    "child_maltreatment": {"school": 45, "hospital": 20, "police": 15, "social_welfare": 20},
    "sexual_assault": {"police": 50, "hospital": 30, "school": 20},
    "child_sexual_exploitation": {"police": 60, "school": 40},
    "disability_abuse": {"social_welfare": 60, "hospital": 40},
    "elder_abuse": {"social_welfare": 50, "hospital": 30, "police": 20},
    "vulnerable_family": {"social_welfare": 50, "school": 30, "health": 20},
    "social_assistance": {"social_welfare": 100},
    "suicide_risk": {"hospital": 50, "health": 30, "police": 20},
    "suspected_mental_illness": {"health": 60, "police": 40},
    "youth_deviance": {"school": 60, "police": 40},
    "other": {"social_welfare": 50, "police": 50},
}

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐周葉蘇莊呂江何蕭羅高"
GIVEN = "怡君志明淑芬家豪雅婷俊傑美玲宗翰佳穎承恩子晴冠宇宥廷欣妤品妍柏翰詩涵"
NARRATIVE = {
    "protection": "通報人於{when}接獲案主陳述，案主表示長期遭受{who}言語及肢體暴力，今日再度發生衝突，"
    "現場有推擠及摔物情形，案主情緒緊張，擔心返家後安全，請求協助後續處遇與安全計畫。",
    "welfare": "案家經濟狀況不穩定，主要照顧者近期失業，家中有未成年子女需要照顧，房租與水電費用積欠，"
    "鄰里反映孩童用餐與就學狀況不佳，建議評估家庭支持與經濟協助需求。",
    "mental": "案主近期情緒低落，多次向家人及同事表示生活沒有意義，睡眠與飲食狀況不佳，"
    "家屬擔心其安全，曾陪同就醫但未規律服藥，請協助後續關懷訪視與轉介。",
    "youth": "少年近期多次曠課，與校外人士往來密切，深夜未歸，家長管教困難，"
    "校方已進行輔導但成效有限，請協助評估少年偏差行為並提供輔導資源。",
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _birth_date(rng: random.Random, age: int, today: date) -> str:
    born = today - timedelta(days=age * 365 + rng.randrange(0, 365))
    return born.isoformat()


@dataclass
class ReportMix:
    """Deterministic stream of report bodies (`seed`), with re-reports."""

    seed: int = 7
    repeat_share: float = 0.05

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.today = datetime.now(TAIPEI).date()
        self.seen: dict[str, list[dict[str, Any]]] = {c: [] for c in COUNTY_WEIGHTS}
        self.count = 0

    def _subject(self, role: str, lo: int, hi: int, *, sex: str | None = None) -> dict[str, Any]:
        rng = self.rng
        age = rng.randint(lo, hi)
        self.count += 1
        return {
            "role": role,
            "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
            "national_id": random_national_id(rng),
            "birth_date": _birth_date(rng, age, self.today),
            "sex": sex or rng.choice("FM"),
        }

    def next(self) -> tuple[str, dict[str, Any]]:
        """One report: (the agency type whose key posts it, the JSON body)."""
        rng = self.rng
        county = _pick(rng, COUNTY_WEIGHTS)
        category = _pick(rng, CATEGORY_WEIGHTS)
        categories = [category]
        indicators: dict[str, Any] = {}
        household: dict[str, Any] | None = None
        kind = "protection"
        injury = lambda: rng.choices(["none", "minor", "severe"], [60, 35, 5])[0]  # noqa: E731
        if category == "intimate_partner_violence":
            subjects = [
                self._subject("victim", 20, 60, sex=rng.choices("FM", [80, 20])[0]),
                self._subject("offender", 22, 65),
            ]
            tipvda = rng.choices([rng.randint(8, 15), rng.randint(4, 7), rng.randint(0, 3)], [15, 35, 50])[0]
            indicators = {
                "tipvda_score": tipvda,
                "injury": injury(),
                "weapon": rng.random() < 0.05,
                "threat_to_kill": rng.random() < 0.05,
                "offender_lives_with_victim": rng.random() < 0.7,
                "suspected_mental_illness": rng.random() < 0.05,
            }
            kids = rng.choices([0, 1, 2], [75, 18, 7])[0]
            household = {"children_under_6": kids, "children_under_18": kids + rng.randint(0, 2)}
        elif category == "other_family_violence":
            subjects = [self._subject("victim", 18, 80), self._subject("offender", 18, 80)]
            indicators = {
                "injury": injury(),
                "weapon": rng.random() < 0.03,
                "offender_lives_with_victim": rng.random() < 0.8,
            }
        elif category == "child_maltreatment":
            young = rng.random() < 0.3
            subjects = [
                self._subject("child", 0, 5) if young else self._subject("child", 6, 17),
                self._subject("offender", 22, 55),
            ]
            indicators = {"injury": injury(), "offender_lives_with_victim": rng.random() < 0.85}
        elif category in ("sexual_assault", "child_sexual_exploitation"):
            lo, hi = (12, 17) if category == "child_sexual_exploitation" else (12, 40)
            subjects = [
                self._subject("victim", lo, hi, sex=rng.choices("FM", [85, 15])[0]),
                self._subject("offender", 16, 60, sex="M"),
            ]
            indicators = {"offender_lives_with_victim": rng.random() < 0.2}
        elif category == "elder_abuse":
            subjects = [self._subject("victim", 65, 95), self._subject("offender", 30, 70)]
            indicators = {"injury": injury()}
        elif category == "disability_abuse":
            subjects = [self._subject("victim", 18, 70), self._subject("offender", 25, 70)]
            indicators = {"injury": injury()}
        elif category in ("vulnerable_family", "social_assistance"):
            kind = "welfare"
            subjects = [self._subject("adult", 25, 60)]
            if category == "vulnerable_family":
                subjects.append(self._subject("child", 0, 12))
                kids = rng.choices([0, 1, 2], [65, 25, 10])[0]
                household = {"children_under_6": kids, "children_under_18": kids + rng.randint(1, 2)}
            indicators = {"economic_hardship": category == "social_assistance" or rng.random() < 0.5}
        elif category in ("suicide_risk", "suspected_mental_illness"):
            kind = "mental"
            subjects = [self._subject("adult", 15, 80)]
            if category == "suicide_risk":
                attempt = rng.random() < 0.3
                indicators = {"suicide_attempt": attempt, "suicide_ideation": not attempt or rng.random() < 0.5}
            else:
                indicators = {"suspected_mental_illness": True}
        elif category == "youth_deviance":
            kind = "youth"
            subjects = [self._subject("youth", 10, 17)]
            indicators = {"youth_law_violation": rng.random() < 0.4}
        else:
            kind = "welfare"
            subjects = [self._subject("adult", 18, 80)]
        if category in ("intimate_partner_violence", "other_family_violence") and rng.random() < 0.1:
            categories.append("vulnerable_family")  # a second stream on the same report
        # A re-report: the first subject is someone named earlier in the same county.
        if self.seen[county] and rng.random() < self.repeat_share:
            earlier = rng.choice(self.seen[county])
            subjects[0] = {
                **subjects[0],
                "national_id": earlier["national_id"],
                "name": earlier["name"],
                "birth_date": earlier["birth_date"],
            }
        self.seen[county].append(subjects[0])
        agency_type = _pick(rng, SOURCES[category])
        when = datetime.now(TAIPEI) - timedelta(minutes=rng.randint(10, 48 * 60))
        narrative = NARRATIVE[kind].format(
            when=when.strftime("%m月%d日%H時"), who=rng.choice(["配偶", "同居人", "家屬"])
        )
        narrative = narrative * rng.randint(1, 3)  # 1–3 paragraphs: a few hundred characters
        body: dict[str, Any] = {
            "county": county,
            "township": rng.choice(TOWNSHIPS[county]),
            "source": {
                "agency_type": agency_type,
                "agency_name": f"{county}{agency_type}-bench",
                "reporter_name": rng.choice(SURNAMES) + "社工",
                "reporter_phone": "03-5551234",
                "mandated_reporter": agency_type != "public",
            },
            "categories": categories,
            "occurred_at": when.isoformat(timespec="seconds"),
            "subjects": subjects,
            "indicators": indicators,
            "narrative": narrative,
        }
        if household is not None:
            body["household"] = household
        return agency_type, body


def generate(count: int, *, seed: int = 7, repeat_share: float = 0.05) -> list[tuple[str, bytes]]:
    """`count` (agency type, JSON bytes) pairs, serialised up front so that the load
    generator spends no CPU on it while it runs."""
    mix = ReportMix(seed=seed, repeat_share=repeat_share)
    out = []
    for _ in range(count):
        agency_type, body = mix.next()
        out.append((agency_type, json.dumps(body, ensure_ascii=False).encode()))
    return out


def describe(bodies: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Realised shares of counties and first categories, and the mean body size."""
    counties: dict[str, int] = {}
    categories: dict[str, int] = {}
    for _, raw in bodies:
        body = json.loads(raw)
        counties[body["county"]] = counties.get(body["county"], 0) + 1
        categories[body["categories"][0]] = categories.get(body["categories"][0], 0) + 1
    return {
        "counties": counties,
        "categories": categories,
        "mean_body_bytes": round(sum(len(b) for _, b in bodies) / max(len(bodies), 1)),
    }
