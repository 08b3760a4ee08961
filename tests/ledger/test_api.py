"""The ledger REST API: writes take an Idempotency-Key; money is a decimal string + currency."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from ledger import services
from ledger.models import IdempotencyRecord, Transaction, ValueEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.leader)
    return client


def payload(world, now, **overrides):
    body = {
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "solution": world.solution.code,
        "category": world.category.code,
        "user_ref": "u-0042",
        "amount": "199.00",
        "currency": "CNY",
        "occurred_at": (now - dt.timedelta(hours=2)).isoformat(),
        "partners": [world.partner.code],
    }
    body.update(overrides)
    return body


def post(api, url, body, key=None):
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_logging_a_payment_returns_it_with_its_split(api, world, now):
    response = post(api, "/api/value-events/", payload(world, now))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "199.00" and body["currency"] == "CNY"
    legs = {leg["rule"]: leg["amount"] for leg in body["legs"] if leg["rule"] != "node_share"}
    assert legs == {
        "user_payment": "199.00",
        "platform_fee": "-9.95",
        "partner_share": "-14.92",
    }  # no holdback at posting: the contract's holdback is the payout's


def test_the_create_response_is_the_event_as_read_back(api, world, now):
    # given a payment logged with a partner and an occurred-at in another UTC offset
    body = payload(
        world,
        now,
        occurred_at=(now - dt.timedelta(hours=3)).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(),
    )
    created = post(api, "/api/value-events/", body)
    assert created.status_code == 201, created.json()
    # when it is read back, the API shows exactly what the create answered
    read = api.get(f"/api/value-events/{created.json()['id']}/")
    assert read.status_code == 200
    assert read.json() == created.json()
    assert created.json()["partners"] == [world.partner.code] and len(created.json()["legs"]) >= 4


def test_a_write_without_idempotency_key_is_refused(api, world, now):
    response = api.post("/api/value-events/", payload(world, now), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert ValueEvent.objects.count() == 0


def test_a_replay_returns_the_first_response_and_writes_nothing(api, world, now):
    body = payload(world, now)
    first = post(api, "/api/value-events/", body, key="k-1")
    second = post(api, "/api/value-events/", body, key="k-1")
    assert second.status_code == 201 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert ValueEvent.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api, world, now):
    post(api, "/api/value-events/", payload(world, now), key="k-2")
    response = post(api, "/api/value-events/", payload(world, now, amount="5.00"), key="k-2")
    assert response.status_code == 422
    assert ValueEvent.objects.count() == 1


def test_a_refused_write_is_replayed_as_refused_and_its_key_is_spent(api, world, now):
    # given a write refused with 400 under key K
    bad = payload(world, now, amount="0.00")
    first = post(api, "/api/value-events/", bad, key="k-bad")
    assert first.status_code == 400 and "amount" in first.json()["errors"]
    # when the same request comes again with K: the same 400 body, replayed, nothing written
    again = post(api, "/api/value-events/", bad, key="k-bad")
    assert again.status_code == 400 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ValueEvent.objects.count() == 0 and IdempotencyRecord.objects.count() == 1
    # and a fixed body under the same K is another request: 422, still nothing written
    fixed = post(api, "/api/value-events/", payload(world, now), key="k-bad")
    assert fixed.status_code == 422 and fixed.json()["code"] == "idempotency_key_reused"
    assert ValueEvent.objects.count() == 0


def test_a_404_write_is_replayed_but_a_server_fault_is_not_recorded(world, monkeypatch, log):
    finance = APIClient()
    finance.force_authenticate(UserFactory(roles=["finance"]))
    body = {"reason": "logged twice"}
    # a reversal of a transaction that does not exist: 404, and the replay says so too
    missing = post(finance, "/api/transactions/999999/reverse/", body, key="k-404")
    assert missing.status_code == 404
    replay = post(finance, "/api/transactions/999999/reverse/", body, key="k-404")
    assert replay.status_code == 404 and replay["Idempotent-Replayed"] == "true"
    # a server fault stores nothing: the same key can be retried once the fault is gone
    payment = log()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "transaction_reverse", broken)
    url = f"/api/transactions/{payment.transaction_id}/reverse/"
    with pytest.raises(RuntimeError):
        post(finance, url, body, key="k-500")
    assert not IdempotencyRecord.objects.filter(key="k-500").exists()
    monkeypatch.undo()
    assert post(finance, url, body, key="k-500").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"currency": "QQQ"}, "currency"),
        ({"me": "no-such-me"}, "me"),
        ({"user_ref": "someone@example.org"}, "user_ref"),
    ],
)
def test_bad_input_is_a_json_field_error_and_nothing_is_written(api, world, now, overrides, field):
    response = post(api, "/api/value-events/", payload(world, now, **overrides))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert ValueEvent.objects.count() == 0 and Transaction.objects.count() == 0
    # the refusal itself is recorded (a replay answers the same), and only it
    assert list(IdempotencyRecord.objects.values_list("status_code", flat=True)) == [400]


def test_the_error_body_speaks_the_requests_language(api, world, now):
    body = payload(world, now, amount="1e3")
    with translation.override("en"):  # the request activates zh-hans: restore the language after it
        response = api.post(
            "/api/value-events/",
            body,
            format="json",
            HTTP_IDEMPOTENCY_KEY="zh-1",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 400
    assert response.json()["detail"] == "部分字段无效。"
    assert "十进制" in response.json()["errors"]["amount"][0]


def test_an_me_the_user_does_not_lead_is_refused(world, now):
    other = UserFactory(roles=["me_leader"])
    client = APIClient()
    client.force_authenticate(other)
    response = post(client, "/api/value-events/", payload(world, now))
    assert response.status_code == 400 and "me" in response.json()["errors"]


def test_refund_then_over_refund(api, world, now):
    event_id = post(api, "/api/value-events/", payload(world, now)).json()["id"]
    refund = post(
        api, "/api/refunds/", {"original": event_id, "amount": "99.00", "occurred_at": now.isoformat()}
    )
    assert refund.status_code == 201 and refund.json()["kind"] == "refund"
    again = post(
        api, "/api/refunds/", {"original": event_id, "amount": "100.01", "occurred_at": now.isoformat()}
    )
    assert again.status_code == 400 and "amount" in again.json()["errors"]


def test_a_refund_stated_in_another_currency_is_refused_not_converted(api, world, now):
    event_id = post(api, "/api/value-events/", payload(world, now)).json()["id"]
    body = {"original": event_id, "amount": "10.00", "occurred_at": now.isoformat()}
    wrong = post(api, "/api/refunds/", {**body, "currency": "USD"})
    assert wrong.status_code == 400 and "CNY" in wrong.json()["errors"]["currency"][0]
    assert post(api, "/api/refunds/", {**body, "currency": "CNY"}).status_code == 201


def test_reversal_via_the_api(world, now, log):
    event = log()
    finance = UserFactory(roles=["finance"])
    client = APIClient()
    client.force_authenticate(finance)
    url = f"/api/transactions/{event.transaction_id}/reverse/"
    response = post(client, url, {"reason": "duplicate"})
    assert response.status_code == 201
    assert response.json()["reverses"] == event.transaction_id
    assert post(client, url, {"reason": "again"}).status_code == 409
    leader = APIClient()
    leader.force_authenticate(world.leader)
    assert post(leader, url, {"reason": "x"}).status_code == 403


def test_balances_as_of(api, world, now, log):
    log(occurred_at=now - dt.timedelta(days=3), amount="10.00")
    log(occurred_at=now - dt.timedelta(hours=1), amount="5.00")
    code = f"me:{world.lead_me.code}:CNY"
    day = (now - dt.timedelta(days=2)).date().isoformat()
    body = api.get("/api/balances/", {"account": code, "as_of": day}).json()
    # 10.00 - fee 0.50 - partner 0.75 = 8.75 (no holdback at posting); 8.75 * 60% = 5.25
    assert body["balance"] == "-5.25" and body["owed"] == "5.25"
    listing = api.get("/api/accounts/", {"as_of": day}).json()
    assert {a["code"]: a["balance"] for a in listing["results"]} == {code: "-5.25"}


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "2100-01-01", "1899-12-31"])
def test_as_of_outside_the_date_range_is_a_400(api, world, now, log, as_of):
    log(occurred_at=now - dt.timedelta(days=3), amount="10.00")
    code = f"me:{world.lead_me.code}:CNY"
    balance = api.get("/api/balances/", {"account": code, "as_of": as_of})
    assert balance.status_code == 400 and "as_of" in balance.json()["errors"]
    listing = api.get("/api/accounts/", {"as_of": as_of})
    assert listing.status_code == 400 and "as_of" in listing.json()["errors"]


def test_contracts_create_and_approve(world):
    admin = APIClient()
    admin.force_authenticate(world.admin)
    body = {
        "emc": world.emc.code,
        "effective_from": "2025-01-01",
        "currency": "CNY",
        "period": "quarter",
        "platform_fee_pct": "4.5",
        "target_minor": 500000,
        "base_rate_pct": "10",
        "holdback_pct": "10",
        "holdback_days": 30,
        "tiers": [{"threshold_pct": "100", "rate_pct": "12"}],
        "partner_shares": [{"partner": world.partner.code, "share_pct": "6"}],
        "node_shares": [{"me": world.lead_me.code, "share_pct": "100"}],
        "goals": [{"axis": "vertical", "metric": "ecosystem_revenue", "target": "1000000", "unit": "CNY"}],
    }
    created = post(admin, "/api/contracts/", body)
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "draft" and created.json()["version"] == 2
    own = post(admin, f"/api/contracts/{created.json()['id']}/approve/", {})
    assert own.status_code == 403  # four eyes: its drafter may not approve it
    second = APIClient()
    second.force_authenticate(UserFactory(roles=["platform_admin"]))
    approved = post(second, f"/api/contracts/{created.json()['id']}/approve/", {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    bad = post(
        admin, "/api/contracts/", {**body, "node_shares": [{"me": world.lead_me.code, "share_pct": "90"}]}
    )
    assert bad.status_code == 400 and "node_shares" in bad.json()["errors"]


LIST_URLS = ("/api/value-events/", "/api/transactions/", "/api/accounts/?with_balance=1", "/api/contracts/")


def test_list_endpoints_have_a_constant_query_count(api, world, log):
    def measure(n):
        for _ in range(n):
            log(amount="1.00")
        counts = {}
        for url in LIST_URLS:
            api.get(url)  # warm the per-user role cache
            with CaptureQueriesContext(connection) as ctx:
                assert api.get(url).status_code == 200
            counts[url] = len(ctx.captured_queries)
        return counts

    small = measure(3)
    assert small == measure(27)
    assert max(small.values()) <= 8


def test_signals_api(api, world, now):
    body = {
        "kind": "rating",
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "user_ref": "u-0042",
        "occurred_at": now.isoformat(),
        "rating": 5,
        "expectation": 3,
    }
    assert post(api, "/api/signals/", body).status_code == 201
    bad = post(api, "/api/signals/", {**body, "expectation": None})
    assert bad.status_code == 400 and "expectation" in bad.json()["errors"]
    assert api.get("/api/signals/").json()["count"] == 1


def test_a_leader_sees_only_their_mes_events(world, log):
    log()
    other = UserFactory(roles=["me_leader"])
    client = APIClient()
    client.force_authenticate(other)
    assert client.get("/api/value-events/").json()["count"] == 0
    auditor = APIClient()
    auditor.force_authenticate(UserFactory(roles=["auditor"]))
    assert auditor.get("/api/value-events/").json()["count"] == 1
    assert post(auditor, "/api/value-events/", {}).status_code == 403


def test_approving_needs_a_platform_admin(world):
    draft = services.contract_draft_create(
        actor=world.admin,
        emc=world.emc,
        effective_from=dt.date(2025, 1, 1),
        currency="CNY",
        period="month",
        platform_fee_pct=5,
        target_minor=100,
        base_rate_pct=10,
        node_shares=[{"me": world.lead_me, "share_pct": 100}],
    )
    finance = APIClient()
    finance.force_authenticate(UserFactory(roles=["finance"]))
    assert post(finance, f"/api/contracts/{draft.pk}/approve/", {}).status_code == 403


def test_a_leader_reads_only_contracts_of_emcs_their_mes_take_part_in(world):
    # given a second EMC led by an unrelated ME, with its own contract
    from tests.factories import MicroenterpriseFactory
    from tests.ledger.factories import world_build

    other_world = world_build()
    outsider = APIClient()
    outsider.force_authenticate(other_world.leader)
    member = UserFactory(roles=["me_member"])
    world.node_me.memberships.create(user=member, weight=1, joined_on=dt.date(2024, 1, 1))
    stranger = UserFactory(roles=["me_leader"])
    MicroenterpriseFactory(leader=stranger)
    # when each asks for the contracts
    mine = APIClient()
    mine.force_authenticate(world.leader)
    as_member = APIClient()
    as_member.force_authenticate(member)
    as_stranger = APIClient()
    as_stranger.force_authenticate(stranger)
    auditor = APIClient()
    auditor.force_authenticate(UserFactory(roles=["auditor"]))

    def ids(client):
        return {c["id"] for c in client.get("/api/contracts/").json()["results"]}

    # then the leader (lead ME) and a member of a node ME see their EMC's contract only
    assert ids(mine) == {world.contract.pk}
    assert ids(as_member) == {world.contract.pk}
    assert ids(outsider) == {other_world.contract.pk}
    assert ids(as_stranger) == set()
    assert ids(auditor) == {world.contract.pk, other_world.contract.pk}
    # and another EMC's contract is a 404, not a leak
    assert outsider.get(f"/api/contracts/{world.contract.pk}/").status_code == 404
    assert as_stranger.get(f"/api/contracts/{world.contract.pk}/").status_code == 404
    assert mine.get(f"/api/contracts/{world.contract.pk}/").status_code == 200


def test_the_api_owed_figure_is_the_page_balance_and_its_sign_is_documented(api, client, world, now, log):
    log(occurred_at=now - dt.timedelta(days=3), amount="10.00")
    code = f"me:{world.lead_me.code}:CNY"
    day = (now - dt.timedelta(days=2)).date().isoformat()
    # the ME's share of 10.00 is 5.25 (see above): credit-normal, so the net is -5.25
    listing = api.get("/api/accounts/", {"as_of": day}).json()["results"]
    row = next(a for a in listing if a["code"] == code)
    assert (row["balance_minor"], row["owed_minor"], row["owed"]) == (-525, 525, "5.25")
    balance = api.get("/api/balances/", {"account": code, "as_of": day}).json()
    assert (balance["balance_minor"], balance["owed_minor"]) == (-525, 525)
    staff = UserFactory(is_superuser=True)
    client.force_login(staff)
    page = client.get("/ledger/", {"q": code, "as_of": day})
    assert [r["balance_minor"] for r in page.context["rows"] if r["account"].code == code] == [525]
    schema = client.get("/api/schema/", {"format": "json"}).json()
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert "debit-positive" in account["balance_minor"]["description"]
    assert "web pages" in account["owed_minor"]["description"]
