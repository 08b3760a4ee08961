"""POST /api/value-events/batch/: many events in one request, posted all or none."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ledger.models import IdempotencyRecord, Leg, Transaction, ValueEvent
from ledger.selectors import ledger_check_rollups, ledger_totals_by_currency
from ledger.serializers import VALUE_EVENT_BATCH_MAX

pytestmark = pytest.mark.django_db

URL = "/api/value-events/batch/"


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.leader)
    return client


def event(world, now, i=0, **overrides):
    body = {
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "solution": world.solution.code,
        "category": world.category.code,
        "user_ref": f"u-{i:05d}",
        "amount": f"{100 + i}.00",
        "currency": "CNY",
        "occurred_at": (now - dt.timedelta(minutes=10 + i)).isoformat(),
        "partners": [world.partner.code],
    }
    body.update(overrides)
    return body


def batch(world, now, n):
    return {"events": [event(world, now, i) for i in range(n)]}


def post(api, body, key=None):
    return api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def nothing_written():
    return (
        ValueEvent.objects.count() == 0
        and Transaction.objects.count() == 0
        and Leg.objects.count() == 0
        # only the refusal is recorded: a replay of the key answers the same 400
        and set(IdempotencyRecord.objects.values_list("status_code", flat=True)) <= {400}
    )


def test_a_batch_posts_every_event_with_its_split(api, world, now):
    # given 12 payments of different amounts, each with a partner
    body = batch(world, now, 12)
    # when they are posted as one batch
    response = post(api, body)
    # then each is answered in order with its id, transaction and amount
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["count"] == 12
    assert [e["amount"] for e in answer["events"]] == [row["amount"] for row in body["events"]]
    assert all(e["currency"] == "CNY" and e["me"] == world.lead_me.code for e in answer["events"])
    assert all(e["contract"] == world.contract.pk for e in answer["events"])
    # and each was posted with its own balanced split by the contract in force
    assert ValueEvent.objects.count() == 12 and Transaction.objects.count() == 12
    for item in answer["events"]:
        stored = ValueEvent.objects.get(pk=item["id"])
        assert stored.transaction_id == item["transaction"] and stored.source == "api"
        assert list(stored.partners.values_list("code", flat=True)) == [world.partner.code]
        legs = {leg.rule: leg.amount_minor for leg in Leg.objects.filter(transaction_id=item["transaction"])}
        assert legs["user_payment"] == item["amount_minor"]
        assert {"platform_fee", "partner_share", "node_share"} <= set(legs) and "holdback" not in legs
        assert (
            sum(Leg.objects.filter(transaction_id=item["transaction"]).values_list("amount_minor", flat=True))
            == 0
        )
    # 100.00: fee 5% = 5.00, partner 7.5% = 7.50
    first = Leg.objects.filter(transaction_id=answer["events"][0]["transaction"])
    assert {leg.rule: leg.amount_minor for leg in first if leg.rule in ("platform_fee", "partner_share")} == {
        "platform_fee": -500,
        "partner_share": -750,
    }
    # and the ledger is balanced, its daily rollups exact
    assert not any(ledger_totals_by_currency().values())
    assert ledger_check_rollups() == []


def test_a_replay_returns_the_first_response_and_writes_nothing(api, world, now):
    body = batch(world, now, 3)
    first = post(api, body, key="batch-1")
    assert first.status_code == 201
    second = post(api, body, key="batch-1")
    assert second.status_code == 201 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert ValueEvent.objects.count() == 3 and Transaction.objects.count() == 3


def test_the_same_key_with_another_body_is_422(api, world, now):
    assert post(api, batch(world, now, 3), key="batch-2").status_code == 201
    other = batch(world, now, 3)
    other["events"][1]["amount"] = "5.00"
    response = post(api, other, key="batch-2")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert ValueEvent.objects.count() == 3


def test_a_batch_without_idempotency_key_is_refused(api, world, now):
    response = api.post(URL, batch(world, now, 2), format="json")
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert nothing_written()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0.00"}, "amount"),  # refused by the posting engine
        ({"amount": "1.001"}, "amount"),  # more decimals than CNY has
        ({"currency": "QQQ"}, "currency"),
        ({"scenario": "no-such-scenario"}, "scenario"),  # an unknown code
        ({"partners": ["no-such-partner"]}, "partners"),
        ({"user_ref": "someone@example.org"}, "user_ref"),
        ({"occurred_at": "yesterday"}, "occurred_at"),  # not even a datetime
    ],
)
def test_one_bad_row_names_the_row_and_field_and_nothing_is_written(api, world, now, overrides, field):
    body = batch(world, now, 6)
    body["events"][3].update(overrides)
    response = post(api, body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == 400 and answer["code"] == "invalid"
    assert list(answer["errors"]) == ["3"]
    assert list(answer["errors"]["3"]) == [field] and answer["errors"]["3"][field][0]
    assert nothing_written()


def test_every_bad_row_is_reported_at_once(api, world, now):
    # given a batch with a malformed row, an unknown code and a row only the engine refuses
    body = batch(world, now, 5)
    body["events"][0]["amount"] = "abc"
    body["events"][2]["category"] = "nope"
    body["events"][4]["amount"] = "0"
    response = post(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {row: list(fields) for row, fields in errors.items()} == {
        "0": ["amount"],
        "2": ["category"],
        "4": ["amount"],
    }
    assert nothing_written()
    # and once fixed, the same key posts the batch (the refusal stored nothing)
    body["events"][0]["amount"] = "1.00"
    body["events"][2]["category"] = world.category.code
    body["events"][4]["amount"] = "2.00"
    assert post(api, body, key="fixed").status_code == 201
    assert ValueEvent.objects.count() == 5


@pytest.mark.parametrize("n", [0, VALUE_EVENT_BATCH_MAX + 1])
def test_a_batch_outside_the_limit_is_refused_naming_the_limit(api, world, now, n):
    body = {"events": [event(world, now, 0)] * n}
    response = post(api, body)
    assert response.status_code == 400
    message = response.json()["errors"]["events"][0]
    assert str(VALUE_EVENT_BATCH_MAX) in message
    assert nothing_written()


def test_a_body_without_a_list_of_events_is_refused(api, world, now):
    response = post(api, event(world, now))
    assert response.status_code == 400 and "events" in response.json()["errors"]
    assert nothing_written()


def test_rows_for_an_me_the_leader_does_not_lead_are_400_naming_the_me(api, world, now):
    # 400, not 403: the leader may log value (ledger.log_value_any), only these rows name an ME
    # they do not lead; as on the single-event endpoint it is a field error on `me`, and a
    # row-by-row report tells the client which rows to drop. Nothing of the batch is written.
    body = batch(world, now, 4)
    body["events"][1]["me"] = world.node_me.code
    body["events"][2]["me"] = world.node_me.code
    response = post(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"1", "2"}
    assert list(errors["1"]) == ["me"] and world.node_me.code in errors["1"]["me"][0]
    assert nothing_written()


def test_only_leaders_and_admins_may_post_batches(world, now):
    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(roles=["auditor"]))
    assert post(client, batch(world, now, 2)).status_code == 403
    assert nothing_written()


def _queries(api, world, now, n) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        assert post(api, batch(world, now, n)).status_code == 201
    return [q["sql"] for q in context.captured_queries]


@pytest.mark.postgres
def test_the_query_count_is_the_same_for_5_and_50_events(api, world, now, django_assert_num_queries):
    post(api, batch(world, now, 2))  # accounts are created on first use: warm them
    five = len(_queries(api, world, now, 5))
    with django_assert_num_queries(five):
        assert post(api, batch(world, now, 50)).status_code == 201
    assert ValueEvent.objects.count() == 57


def test_lookups_do_not_grow_with_the_batch(api, world, now):
    # codes, permissions and validation: the same reads for 5 and 50 events (on SQLite the
    # engine's bulk INSERT of events is split at 999 bound variables, hence the PostgreSQL
    # test above for the exact total)
    post(api, batch(world, now, 2))
    reads = [
        [q for q in _queries(api, world, now, n) if q.lstrip().upper().startswith("SELECT")] for n in (5, 50)
    ]
    assert len(reads[0]) == len(reads[1]) > 0
