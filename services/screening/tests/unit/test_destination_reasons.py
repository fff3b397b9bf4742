"""safetynet.policy.destination_reasons states which reason code asks for which
destination kind (intake's learning KPIs group referrals by it); screening's rules are
the truth it must match: its catalogue's destination codes, and the kind each rule adds."""

import ast
import inspect
import textwrap

from safetynet.policy.destination_kinds import DESTINATION_KINDS
from safetynet.policy.destination_reasons import DESTINATION_REASONS, SUSPECTED_MENTAL_ILLNESS, producing_codes
from safetynet.screening.domain import destinations, reasons


def _rule_pairs() -> set[tuple[str, str]]:
    """Every add(kind, r.CODE) of screening's destination rules, read from their source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(destinations.match_destination_rules)))
    pairs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "add":
            kind, code = node.args
            assert isinstance(kind, ast.Constant) and isinstance(code, ast.Attribute)
            pairs.add((getattr(reasons, code.attr), kind.value))
    return pairs


def test_every_destination_rule_is_in_the_mapping_with_its_kind() -> None:
    pairs = _rule_pairs()
    assert len(pairs) >= 10  # the source was read: the scan can fail
    assert pairs == set(DESTINATION_REASONS.items())


def test_every_destination_code_of_the_catalogue_is_mapped() -> None:
    bsrs5 = {reasons.BSRS5_SUICIDE, reasons.BSRS5_SEVERE, reasons.BSRS5_MODERATE}  # v1.1's mental-health rules
    catalogue = {c for c in reasons.REASON_TEXTS if c.startswith("DEST_")} | bsrs5
    assert catalogue == set(DESTINATION_REASONS)
    assert set(DESTINATION_REASONS.values()) <= set(DESTINATION_KINDS)
    assert SUSPECTED_MENTAL_ILLNESS == reasons.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS


def test_producing_codes_keeps_the_kinds_codes_in_order() -> None:
    codes = [
        reasons.RED_WEAPON,
        reasons.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS,
        reasons.DEST_PROTECTION_CATEGORY,
        reasons.DEST_MENTAL_HEALTH_PROTECTION_CO_CASE,
        reasons.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS,
    ]
    assert producing_codes("mental_health", codes) == (
        reasons.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS,
        reasons.DEST_MENTAL_HEALTH_PROTECTION_CO_CASE,
    )
    assert producing_codes("protection", codes) == (reasons.DEST_PROTECTION_CATEGORY,)
    assert producing_codes("youth_counseling", codes) == ()
