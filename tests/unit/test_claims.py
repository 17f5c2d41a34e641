"""A connector's claim: checked against the registry, narrowed by --claim, and which scenarios it admits."""
import pytest

from harness.connectors.load import load_factory
from harness import seam
from harness.claims import CertifiedClaim, ClaimError, narrow, read_claim, validate
from harness.connectors.reference import ReferenceConnector, build_engine
from harness.platforms import platform, platforms
from harness.requirements import OPTIONAL_BEHAVIOURS, scenario_rows

SQUARE_TO = ("square", "to_netsuite")
SQUARE_FROM = ("square", "from_netsuite")


def claiming(claim):
    """A factory of the reference connector that claims ``claim`` (whatever it is)."""
    class Claiming(ReferenceConnector):
        def certification_claim(self):
            return claim

    return lambda context: Claiming(build_engine(context))


def test_the_reference_connector_claims_every_registered_platform_and_direction():
    claim = read_claim(load_factory(seam.REFERENCE), seam.REFERENCE)
    assert set(claim.rows) == {(p.name, d) for p in platforms() for d in p.capabilities.directions}
    assert claim.not_offered == () and claim.describe().startswith("every storefront and direction")


def test_the_claim_is_read_without_reaching_any_system():
    class Calling(ReferenceConnector):
        def certification_claim(self):
            self.engine.http.get("https://example.myshopify.com/admin")

    with pytest.raises(ClaimError, match="not reachable while the harness reads the connector's claim"):
        read_claim(lambda context: Calling(build_engine(context)), "pkg:calling")


@pytest.mark.parametrize("claim,message", [
    (seam.Claim({"nowhere": ["to_netsuite"]}), "no registered storefront 'nowhere'"),
    (seam.Claim({"amazon": ["from_netsuite"]}), "Amazon offers no direction 'from_netsuite'"),
    (seam.Claim({"square": "to_netsuite"}), "must be a list"),
    (seam.Claim({}), "claims no storefront and direction"),
    (seam.Claim({"square": ["to_netsuite"]}, not_offered=["multi_currency"]), "multi_currency is not optional"),
    (seam.Claim({"square": ["to_netsuite"]}, not_offered=["telepathy"]), "no behaviour 'telepathy'"),
    ({"square": ["to_netsuite"]}, "returned dict, not a harness.seam.Claim"),
])
def test_a_claim_that_cannot_be_certified_is_refused_by_name(claim, message):
    with pytest.raises(ClaimError, match=message):
        read_claim(claiming(claim), "pkg:mine")


def test_a_connector_lacking_the_claim_method_is_refused_naming_it():
    class Old:
        def __init__(self, context):
            pass

    with pytest.raises(ClaimError, match="missing certification_claim"):
        read_claim(Old, "pkg:old")


def test_refund_webhooks_are_optional_and_robustness_is_not():
    assert OPTIONAL_BEHAVIOURS == ("refund_webhooks",)
    claim = validate(seam.Claim({"shopify": ["to_netsuite"]}, not_offered=["refund_webhooks"]), "pkg:mine")
    assert claim.covers([("shopify", "to_netsuite")], {"storefront", "to_netsuite", "faults"}) is None
    assert claim.covers([("shopify", "to_netsuite")], {"refund_webhooks", "to_netsuite"}) == (
        "needs refund webhooks, which the connector does not offer")
    assert claim.describe() == "Shopify → NetSuite (without refund webhooks)"


def test_rows_of_a_scenario_come_from_its_tags_and_direction_under_test():
    square, amazon = platform("square"), platform("amazon")
    assert scenario_rows({"storefront", "to_netsuite"}, square) == [SQUARE_TO]
    assert scenario_rows({"each_direction"}, square, "from_netsuite") == [SQUARE_FROM]
    assert scenario_rows({"both_directions"}, square) == [SQUARE_TO, SQUARE_FROM]
    assert scenario_rows({"read_only_refunds"}, amazon) == [("amazon", "to_netsuite")]   # no direction named: any
    assert scenario_rows({"storefront"}, square) == [SQUARE_TO, SQUARE_FROM]


def test_a_scenario_needing_both_directions_is_admitted_only_where_both_are_claimed():
    one = CertifiedClaim(rows=(SQUARE_TO,))
    assert one.covers([SQUARE_TO, SQUARE_FROM], {"both_directions"}) == (
        "needs Square from NetSuite, which the claim does not include")
    assert CertifiedClaim(rows=(SQUARE_TO, SQUARE_FROM)).covers([SQUARE_TO, SQUARE_FROM], {"both_directions"}) is None
    assert CertifiedClaim(rows=(SQUARE_TO, SQUARE_FROM)).describe() == "Square ↔ NetSuite"
    assert CertifiedClaim(rows=(SQUARE_FROM, ("amazon", "to_netsuite"))).describe() == (
        "Amazon → NetSuite, NetSuite → Square")


def test_claim_on_the_command_line_narrows_and_never_widens():
    both = CertifiedClaim(rows=(("shopify", "from_netsuite"), SQUARE_TO, SQUARE_FROM))
    assert narrow(both, ["Square:to NetSuite"]).rows == (SQUARE_TO,)
    assert narrow(both, ["square"]).rows == (SQUARE_TO, SQUARE_FROM)   # a platform alone: its claimed directions
    assert narrow(both, ["shopify"]).rows == (("shopify", "from_netsuite"),)
    assert narrow(both, []).rows == both.rows and narrow(both, ["square"]).narrowed_by == ("square",)
    with pytest.raises(ClaimError, match="widens the claim: the connector does not claim Shopify to NetSuite"):
        narrow(both, ["shopify:to_netsuite"])
    with pytest.raises(ClaimError, match="unknown direction 'sideways'"):
        narrow(both, ["square:sideways"])
