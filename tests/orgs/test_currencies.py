"""One currency rule for the organization and the ledger (orgs.currencies)."""

import pytest
from django.core.exceptions import ValidationError

from ledger.money import to_minor
from orgs import services
from orgs.models import PartnerRole

pytestmark = pytest.mark.django_db


def _partner(admin, currency, code):
    return services.partner_create(
        actor=admin,
        code=code,
        name=code,
        roles=list(PartnerRole.objects.all()[:1]),
        baseline_currency=currency,
    )


@pytest.mark.parametrize("code", ["QQQ", "XXX", "XTS", ""])
def test_what_the_ledger_refuses_as_a_currency_a_partner_cannot_declare(admin, code):
    # the ledger refuses it on the currency field...
    with pytest.raises(ValidationError) as ledger_exc:
        to_minor("1.00", code)
    # ...and a partner's baseline currency is refused with the same message, on its own field
    with pytest.raises(ValidationError) as partner_exc:
        _partner(admin, code, f"p-{code.lower() or 'blank'}")
    assert ledger_exc.value.message_dict["currency"] == partner_exc.value.message_dict["baseline_currency"]


def test_a_partner_currency_is_kept_in_capitals(admin):
    assert _partner(admin, "eur", "p-eur").baseline_currency == "EUR"
