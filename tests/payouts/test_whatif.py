"""What-if: other terms against a period's events, beside the report; invalid rates refused."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from ledger.models import Transaction
from payouts import services
from payouts.models import PayoutLine, PayoutReport
from tests.payouts.conftest import JUNE


@pytest.fixture
def report(world, pay):
    pay("8000.00", JUNE + dt.timedelta(days=2), partners=[])
    pay("4000.00", JUNE + dt.timedelta(days=9), partners=[])
    [rid] = services.payout_night_compute(run_date=JUNE)
    return PayoutReport.objects.get(pk=rid)


def test_a_higher_base_rate_beside_the_real_figures(report, world, finance):
    result = services.payout_what_if(actor=finance, report=report, emc=world.emc, base_rate_pct="12")
    lead = next(m for m in result["mes"] if m["me"] == world.lead_me.pk)
    real = PayoutLine.objects.get(report=report, key=f"me:{world.emc.pk}:{world.lead_me.pk}")
    assert lead["report_minor"] == real.capped_minor
    # ME value 684,000 of EMC 1,200,000: 1,000,000 at 12% + 200,000 at 20% = 160,000
    assert lead["what_if_minor"] == 684_000 * 160_000 // 1_200_000
    assert (
        sum(m["what_if_minor"] for m in result["members"] if m["me"] == world.lead_me.pk)
        == lead["what_if_minor"]
    )
    assert not Transaction.objects.filter(kind="adjustment").exists()
    assert PayoutLine.objects.get(pk=real.pk).capped_minor == real.capped_minor


def test_invalid_rates_are_field_errors_on_the_api(report, world, finance):
    client = APIClient()
    client.force_authenticate(finance)
    url = f"/api/payouts/reports/{report.pk}/what-if/"
    bad = client.post(url, {"emc": world.emc.pk, "base_rate_pct": "120"}, format="json")
    assert bad.status_code == 400 and "base_rate_pct" in bad.json()["errors"]
    tiers = client.post(
        url,
        {
            "emc": world.emc.pk,
            "tiers": [{"threshold_pct": "150", "rate_pct": "20"}, {"threshold_pct": "100", "rate_pct": "30"}],
        },
        format="json",
    )
    assert tiers.status_code == 400 and "tiers" in tiers.json()["errors"]
    ok = client.post(url, {"emc": world.emc.pk, "cap_minor": 1000}, format="json")
    assert ok.status_code == 200 and all(m["what_if_minor"] <= 1000 for m in ok.json()["mes"])
    assert client.post(url, {"emc": 999999}, format="json").status_code == 404


def test_a_draft_contract_version_against_the_period(report, world, finance):
    from ledger import services as ledger_services
    from tests.ledger.factories import contract_terms

    draft = ledger_services.contract_draft_create(
        actor=world.admin,
        **contract_terms(
            world,
            effective_from=JUNE,
            target_minor=2_000_000,
            base_rate_pct=5,
            floor_minor=0,
            cap_minor=None,
            tiers=[],
        ),
    )
    result = services.payout_what_if(actor=finance, report=report, emc=world.emc, contract=draft)
    lead = next(m for m in result["mes"] if m["me"] == world.lead_me.pk)
    assert lead["what_if_minor"] == 684_000 * 5 // 100  # all under the doubled target, at 5%
    assert result["terms"]["target_minor"] == 2_000_000
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_goal_on_the_wrong_vam_axis_is_refused(world):
    from django.core.exceptions import ValidationError

    from ledger import services as ledger_services
    from ledger.models import Contract
    from tests.ledger.factories import contract_terms

    before = Contract.objects.count()
    wrong = [{"axis": "horizontal", "metric": "lifelong_users", "target": "200", "unit": "users"}]
    with pytest.raises(ValidationError, match="Life-long users is a Vertical"):
        ledger_services.contract_draft_create(actor=world.admin, **contract_terms(world, goals=wrong))
    assert Contract.objects.count() == before
