import datetime as dt

import pytest
from django.utils import timezone

from tests.ledger.factories import world_build


@pytest.fixture
def world(db):
    return world_build()


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def log(world, now):
    """Log a payment as the world's leader; override any field."""
    from ledger import services

    def do(**overrides):
        fields = {
            "actor": world.leader,
            "me": world.lead_me,
            "emc": world.emc,
            "scenario": world.scenario,
            "solution": world.solution,
            "category": world.category,
            "user_ref": "u-12345",
            "amount": "199.00",
            "currency": "CNY",
            "occurred_at": now - dt.timedelta(hours=1),
            "partners": [world.partner],
        }
        fields.update(overrides)
        return services.value_event_log(**fields)

    return do
