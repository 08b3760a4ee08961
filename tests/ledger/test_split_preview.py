"""The log form's split preview is the split that posting then writes, leg for leg."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from ledger import ui_selectors
from ledger.models import Leg

pytestmark = pytest.mark.django_db


def test_the_preview_shows_the_legs_the_payment_then_posts(world, log):
    rng = random.Random(5)
    for i in range(12):
        amount = f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}"
        partners = [world.partner] if rng.random() < 0.5 else []
        preview = ui_selectors.split_preview(
            emc=world.emc,
            on=timezone.localdate(),
            amount=amount,
            currency="CNY",
            partner_codes=[p.code for p in partners],
        )
        event = log(
            amount=amount,
            partners=partners,
            user_ref=f"u-{i:05d}",
            occurred_at=timezone.now() - dt.timedelta(minutes=1),
        )
        posted = sorted(
            -leg.amount_minor
            for leg in Leg.objects.filter(transaction_id=event.transaction_id)
            if leg.amount_minor < 0
        )
        assert sorted(p["amount_minor"] for p in preview["parts"]) == posted
        assert preview["amount_minor"] == event.amount_minor
