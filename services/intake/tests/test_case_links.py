"""Rule 1 (併案) links as the report page shows them: one per other report, the standing one."""

from safetynet.intake.domain.case_links import CaseLink, one_per_report


def link(mine: str, report: str, theirs: str) -> CaseLink:
    return CaseLink(referral_id=mine, other_report_id=report, other_referral_id=theirs)


def test_a_link_that_followed_its_open_case_replaces_the_moved_one_whatever_the_order() -> None:
    moved, standing = link("ref-y", "r-1", "ref-x"), link("ref-y2", "r-1", "ref-x2")
    assert one_per_report([moved, standing], superseded={"ref-y"}) == [standing]
    assert one_per_report([standing, moved], superseded={"ref-y"}) == [standing]


def test_links_to_different_reports_are_all_shown() -> None:
    links = [link("ref-a", "r-1", "ref-x"), link("ref-b", "r-2", "ref-z")]
    assert one_per_report(links, superseded=set()) == links
