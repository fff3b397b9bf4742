"""TIPVDA (台灣親密關係暴力危險評估表, 15 items): a score of 8 or more is high danger.

The threshold belongs to the instrument, so one number serves the high-danger list for the
monthly network meeting (intake's KPIs) and the red light of rule version v1 (screening's
v1 document states it, and a test holds the two equal; a candidate version may try another).
"""

HIGH_DANGER = 8


def is_high_danger(score: int | None) -> bool:
    return score is not None and score >= HIGH_DANGER
