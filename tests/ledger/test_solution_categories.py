"""A payment for a solution is for one of the categories it bundles, whatever the entry point:
one event (form and API: tests/ledger/test_forms.py), the batch API and the CSV import ask the
same check of the batch's context, by row and field, and write nothing when a row fails it."""

import csv
import io
import uuid

import pytest
from rest_framework.test import APIClient

from ledger.imports.batches import import_batch_create
from ledger.models import Leg, Transaction, ValueEvent
from tests.factories import CategoryFactory, SolutionFactory
from tests.ledger.test_api_batch import event
from tests.ledger.test_importing import _csv, _row

pytestmark = pytest.mark.django_db

MESSAGE = "{solution} bundles Drying, Washing, not Cooking: choose one of its categories."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def bundled(world):
    """The world's solution bundles Drying and Washing; Cooking is not in it."""
    drying, washing = CategoryFactory(name="Drying"), CategoryFactory(name="Washing")
    world.solution.categories.set([drying, washing])
    return drying, washing, CategoryFactory(name="Cooking")


def _nothing_written() -> bool:
    return not (ValueEvent.objects.exists() or Transaction.objects.exists() or Leg.objects.exists())


def test_the_batch_api_refuses_a_category_the_solution_does_not_bundle_by_row(world, now, bundled):
    drying, washing, cooking = bundled
    api = APIClient()
    api.force_authenticate(world.leader)
    body = {
        "events": [
            event(world, now, 0, category=drying.code),
            event(world, now, 1, category=cooking.code),
            event(world, now, 2, category=washing.code),
            event(world, now, 3, category=cooking.code),
        ]
    }
    response = api.post(
        "/api/value-events/batch/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    expected = [MESSAGE.format(solution=world.solution.name)]
    assert errors == {"1": {"category": expected}, "3": {"category": expected}}
    assert _nothing_written()


def test_a_solution_that_bundles_nothing_restricts_nothing_in_a_batch(world, now):
    api = APIClient()
    api.force_authenticate(world.leader)
    other = SolutionFactory(scenario=world.scenario)  # bundles no category
    body = {"events": [event(world, now, 0, solution=other.code, category=CategoryFactory().code)]}
    response = api.post(
        "/api/value-events/batch/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert response.status_code == 201, response.json()


def test_the_csv_import_refuses_it_on_the_row_and_writes_nothing(world, now, bundled):
    drying, _washing, cooking = bundled
    rows = [
        _row(world, now, category_code=drying.code, ref="p-1"),
        _row(world, now, category_code=cooking.code, ref="p-2"),
    ]
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="events.csv")
    assert batch.status == "failed"
    report = list(csv.DictReader(io.StringIO(batch.error_report)))
    assert [(r["row"], r["column"], r["message"]) for r in report] == [
        ("3", "category_code", MESSAGE.format(solution=world.solution.name))
    ]
    assert _nothing_written()
