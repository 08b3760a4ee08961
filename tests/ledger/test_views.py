"""The ledger's web pages: what each role sees and may do, the log form end to end, the split
shown per event, constant query counts, refunds, reversals, imports and the CSV export."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger import selectors
from ledger.models import ImportBatch, Transaction, UserSignal, ValueEvent
from orgs.audit import audit_for
from tests.factories import MembershipFactory, MicroenterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def payload(world, **overrides) -> dict:
    data = {
        "token": "tok-1",
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "solution": world.solution.code,
        "category": world.category.code,
        "user_ref": "u-12345",
        "amount": "199.00",
        "currency": "CNY",
        "occurred_at": local(timezone.now() - dt.timedelta(hours=1)),
        "partners": [world.partner.code],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def assert_balanced():
    assert all(v == 0 for v in selectors.ledger_totals_by_currency().values())
    assert selectors.ledger_check_rollups() == []


@pytest.fixture
def leader_client(client, world):
    client.force_login(world.leader)
    return client


def role_client(client, role, **kwargs):
    client.force_login(UserFactory(roles=[role], **kwargs))
    return client


# --- logging user value --------------------------------------------------------------------


def test_the_form_offers_only_the_leaders_emc_scenarios_and_contract_partners(leader_client, world):
    page = leader_client.get("/ledger/log/")
    assert page.status_code == 200
    form = page.context["form"]
    offered = lambda name: [value for value, _label in form.fields[name].choices if value]  # noqa: E731
    # the leader's only EMC (and its only scenario) are chosen at once, the currency is the contract's
    assert offered("emc") == [world.emc.code]
    assert offered("scenario") == [world.scenario.code]
    assert offered("partners") == [world.partner.code]
    assert form["currency"].value() == "CNY"
    assert form["token"].value()


def test_changing_the_emc_reloads_the_dependent_choices_by_date(leader_client, world):
    before_partner = dt.date(2023, 6, 1)  # the partner joined in 2024
    response = leader_client.get(
        "/ledger/log/fields/",
        {"me": world.lead_me.code, "emc": world.emc.code, "occurred_at": f"{before_partner}T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b'id="log-fields"' in response.content and b"<html" not in response.content
    assert [v for v, _ in response.context["form"].fields["partners"].choices] == []
    today = leader_client.get("/ledger/log/fields/", {"me": world.lead_me.code, "emc": world.emc.code})
    assert world.partner.name.encode() in today.content


def test_a_leader_logs_a_payment_and_sees_it_with_its_split(leader_client, world):
    response = leader_client.post("/ledger/log/", payload(world))
    event = ValueEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/ledger/me/{world.lead_me.code}/?highlight={event.pk}#event-{event.pk}"
    )
    assert (event.source, event.idempotency_key, event.amount_minor) == ("ui", "tok-1", 19900)

    page = leader_client.get(response["Location"])
    row = page.context["rows"][0]
    assert row.pk == event.pk and page.context["highlight"] == event.pk
    rules = sorted(leg.rule for leg in row.split)
    assert rules == ["node_share", "node_share", "partner_share", "platform_fee", "user_payment"]
    fee = next(leg for leg in row.split if leg.rule == "platform_fee")
    assert fee.explanation == "5% platform fee of CN¥199.00 (rounded down)"
    assert "Logged 199.00 CNY" in page.content.decode()
    assert_balanced()


def test_a_second_submit_of_the_same_form_does_not_post_twice(leader_client, world):
    first = leader_client.post("/ledger/log/", payload(world))
    second = leader_client.post("/ledger/log/", payload(world))
    assert ValueEvent.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    page = leader_client.get(second["Location"])
    assert "already submitted" in page.content.decode()
    assert len(page.context["rows"]) == 1


def test_a_new_form_token_posts_a_new_event(leader_client, world):
    leader_client.post("/ledger/log/", payload(world))
    leader_client.post("/ledger/log/", payload(world, token="tok-2"))
    assert ValueEvent.objects.count() == 2


# --- who may do what -----------------------------------------------------------------------


def test_a_leader_of_another_me_gets_403_on_this_me_ledger(client, world):
    other = UserFactory(roles=["me_leader"])
    MicroenterpriseFactory(leader=other)
    client.force_login(other)
    assert client.get(f"/ledger/me/{world.lead_me.code}/").status_code == 403
    assert client.get(f"/ledger/me/{world.lead_me.code}/export.csv").status_code == 403


def test_a_member_reads_the_me_ledger_but_cannot_log(client, world, log):
    log()
    member = UserFactory(roles=["me_member"])
    MembershipFactory(me=world.lead_me, user=member)
    client.force_login(member)
    page = client.get(f"/ledger/me/{world.lead_me.code}/")
    assert page.status_code == 200 and page.context["can_log"] is False
    assert b'data-testid="log-value-link"' not in page.content
    assert client.get("/ledger/log/").status_code == 403
    assert client.post("/ledger/log/", payload(world, token="m-1")).status_code == 403
    assert ValueEvent.objects.count() == 1


def test_an_auditor_reads_everything_and_changes_nothing(client, world, log):
    event = log()
    role_client(client, "auditor")
    assert client.get(f"/ledger/me/{world.lead_me.code}/").status_code == 200
    detail = client.get(f"/ledger/transactions/{event.transaction_id}/")
    assert detail.status_code == 200 and detail.context["can_reverse"] is False
    assert client.get("/ledger/").status_code == 200
    assert client.get("/ledger/log/").status_code == 403
    response = client.post(
        f"/ledger/transactions/{event.transaction_id}/reverse/", {"reason": "x", "confirm": "on"}
    )
    assert response.status_code == 403
    assert Transaction.objects.count() == 1


def test_a_leader_cannot_refund_another_mes_event(client, world, log):
    event = log()
    other = UserFactory(roles=["me_leader"])
    MicroenterpriseFactory(leader=other)
    client.force_login(other)
    assert client.get(f"/ledger/events/{event.pk}/refund/").status_code == 404  # not even visible


def test_the_landing_page_shows_a_leader_their_me_with_its_balance(leader_client, world, log):
    log()
    page = leader_client.get("/ledger/")
    card = page.context["cards"][0]
    assert card["me"] == world.lead_me and card["leads"] is True
    # 199.00 - 5% fee (9.95) - 7.5% partner (14.92) = 174.13 (no holdback at posting); 60% of
    # 174.13 = 104.478, the unit left by the 60/40 split goes to this larger remainder: 104.48
    assert card["balances"][0]["owed_minor"] == 10448
    assert b"CN\xc2\xa5104.48" in page.content


def test_finance_sees_every_account_with_balances_as_of_a_date(client, world, log):
    log()
    role_client(client, "finance")
    page = client.get("/ledger/", {"kind": "platform"})
    assert [r["account"].code for r in page.context["rows"]] == ["platform-fee:CNY"]
    assert page.context["rows"][0]["balance_minor"] == 995
    before = client.get("/ledger/", {"kind": "platform", "as_of": "2020-01-01"})
    assert before.context["rows"][0]["balance_minor"] == 0
    assert len(page.context["transactions"]) == 1


# --- the ME ledger: filters, query counts, export --------------------------------------------


def _log_many(log, n):
    now = timezone.now()
    for i in range(n):
        log(occurred_at=now - dt.timedelta(minutes=i + 1), user_ref=f"u-{i:05d}", idempotency_key=f"k{i}")


@pytest.mark.parametrize("path", ["/ledger/me/{code}/", "/ledger/"])
def test_ledger_pages_run_a_constant_number_of_queries(client, world, log, path):
    client.force_login(world.admin)
    url = path.format(code=world.lead_me.code)
    _log_many(log, 3)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _log_many(log, 27)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]


def test_the_me_ledger_filters_by_kind_and_date(leader_client, world, log):
    payment = log()
    from ledger import services

    services.value_event_refund(
        actor=world.leader, original=payment, amount="50.00", occurred_at=timezone.now(), note="broken"
    )
    url = f"/ledger/me/{world.lead_me.code}/"
    assert [e.kind for e in leader_client.get(url).context["rows"]] == ["refund", "payment"]
    assert [e.kind for e in leader_client.get(url, {"kind": "refund"}).context["rows"]] == ["refund"]
    assert leader_client.get(url, {"date_to": "2020-01-01"}).context["rows"] == []
    page = leader_client.get(url)
    assert page.context["rows"][1].refunded_minor == 5000


def test_the_me_ledger_shows_contract_terms_and_progress_to_target(leader_client, world, log):
    log(amount="1000.00")
    page = leader_client.get(f"/ledger/me/{world.lead_me.code}/")
    item = page.context["emc_terms"][0]
    assert item["contract"] == world.contract
    assert item["value_minor"] == 100000 and item["me_value_minor"] == 100000
    assert str(item["progress_pct"]) == "1.0"  # 1,000 of a 100,000 target
    assert item["chart"]["target"] == "100000.00"
    assert [t["value"] for t in item["chart"]["tiers"]] == ["100000.00", "120000.00"]
    assert f'id="progress-{world.emc.code}"' in page.content.decode()  # the json_script
    # the axis ends a little above the target (100,000 * 1.05 -> the round 120,000), not at a
    # fixed scale; the tier point at 120,000 happens to sit on it
    assert item["chart"]["axis"] == {"min": "0", "max": "120000"}


@pytest.mark.parametrize(
    ("series", "target", "axis"),
    [
        ([0, 1000_00, 2500_00], 100000_00, {"min": "0", "max": "120000"}),  # the target rules
        ([0, 90_00, 300_00], 200_00, {"min": "0", "max": "400"}),  # the data passed the target: 315 -> 400
        ([0, 50_00, -120_00], 100_00, {"min": "-150", "max": "120"}),  # refunds under zero: -126 -> -150
        ([0, 1], 0, {"min": "0", "max": "0.02"}),  # one cent, no target: 0.0105 -> 0.02 (step 0.01 x 2)
        ([], 0, {"min": "0", "max": "1"}),  # nothing yet: a unit axis
    ],
)
def test_the_progress_axis_follows_the_data_and_the_target(series, target, axis):
    from ledger.ui_selectors import progress_axis

    assert progress_axis(series_minor=series, target_minor=target, currency="CNY") == axis


def test_the_csv_export_has_one_line_per_leg_of_the_filtered_events(leader_client, world, log):
    event = log()
    response = leader_client.get(f"/ledger/me/{world.lead_me.code}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == event.transaction.legs.count() == 5
    fee = next(r for r in rows if r["rule"] == "platform_fee")
    assert (fee["leg_amount"], fee["contract_version"], fee["amount"]) == ("-9.95", "1", "199.00")
    assert sum(int(r["leg_amount"].replace(".", "")) for r in rows) == 0


# --- refunds, reversals --------------------------------------------------------------------


def test_a_refund_through_the_form_reverses_the_shares_in_proportion(leader_client, world, log):
    payment = log()
    page = leader_client.get(f"/ledger/events/{payment.pk}/refund/")
    assert page.context["refundable_minor"] == 19900
    data = {"token": "r-1", "amount": "99.50", "occurred_at": local(timezone.now()), "note": "returned"}
    response = leader_client.post(f"/ledger/events/{payment.pk}/refund/", data)
    assert response.status_code == 302
    leader_client.post(f"/ledger/events/{payment.pk}/refund/", data)  # the same form again
    refund = ValueEvent.objects.get(kind="refund")
    assert refund.amount_minor == 9950 and refund.original == payment
    assert leader_client.get(f"/ledger/events/{payment.pk}/refund/").context["refundable_minor"] == 9950
    assert_balanced()


def test_finance_reverses_a_transaction_with_a_reason(client, world, log):
    event = log()
    role_client(client, "finance")
    url = f"/ledger/transactions/{event.transaction_id}/reverse/"
    missing = client.post(url, {"reason": "", "confirm": "on"})
    assert missing.status_code == 400 and "reason" in missing.context["form"].errors
    response = client.post(url, {"reason": "logged twice by mistake", "confirm": "on"})
    reversal = Transaction.objects.get(kind="reversal")
    assert response["Location"] == f"/ledger/transactions/{reversal.pk}/"
    page = client.get(f"/ledger/transactions/{event.transaction_id}/")
    assert page.context["reversal"] == reversal
    # a second reverse (e.g. a stale tab) is refused: the page says why and links the reversal
    again = client.post(url, {"reason": "again", "confirm": "on"})
    assert Transaction.objects.filter(kind="reversal").count() == 1
    assert again.status_code == 409  # a conflict with the stored state, as the API answers
    html = again.content.decode()
    assert 'data-testid="form-error">This transaction is already reversed.' in html
    assert f'href="/ledger/transactions/{reversal.pk}/" data-testid="reversal-link"' in html
    assert 'data-testid="reverse"' not in html  # no second reverse button
    assert audit_for(event.transaction).filter(action="ledger.transaction_reverse").count() == 1
    assert_balanced()


# --- user signals --------------------------------------------------------------------------


def test_a_leader_logs_a_rating_with_the_users_expectation(leader_client, world):
    data = {
        "token": "s-1",
        "kind": "rating",
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "user_ref": "u-12345",
        "occurred_at": local(timezone.now()),
        "rating": "5",
    }
    missing = leader_client.post("/ledger/signals/new/", data)
    assert missing.status_code == 400 and "expectation" in missing.context["form"].errors
    assert UserSignal.objects.count() == 0
    response = leader_client.post("/ledger/signals/new/", {**data, "expectation": "3"})
    assert response.status_code == 302
    leader_client.post("/ledger/signals/new/", {**data, "expectation": "3"})
    signal = UserSignal.objects.get()
    assert (signal.rating, signal.expectation, signal.source) == (5, 3, "ui")
    page = leader_client.get(f"/ledger/me/{world.lead_me.code}/")
    assert page.context["signals"] == [signal]


# --- CSV import ----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(world, rows) -> SimpleUploadedFile:
    header = (
        "me_code,emc_code,scenario_code,category_code,user_ref,amount,currency,occurred_at,partner_codes\n"
    )
    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    lines = [
        f"{world.lead_me.code},{world.emc.code},{world.scenario.code},{world.category.code},"
        f"{ref},{amount},CNY,{when.isoformat()},{world.partner.code}\n"
        for ref, amount in rows
    ]
    return SimpleUploadedFile("events.csv", (header + "".join(lines)).encode(), content_type="text/csv")


def test_a_valid_csv_is_previewed_then_posted_all_at_once(leader_client, world, media):
    response = leader_client.post(
        "/ledger/import/",
        {"kind": "events", "file": _csv(world, [("u-00001", "10.00"), ("u-00002", "20.50")])},
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/ledger/import/{batch.pk}/"
    preview = leader_client.get(response["Location"])
    assert preview.context["can_post"] is True
    assert preview.context["preview"]["totals"] == [{"currency": "CNY", "net_minor": 3050}]
    assert len(preview.context["preview"]["rows"]) == 2
    assert ValueEvent.objects.count() == 0
    posted = leader_client.post(f"/ledger/import/{batch.pk}/post/", follow=True)
    assert ValueEvent.objects.count() == 2
    assert "Posted 2 rows" in posted.content.decode()
    again = leader_client.post(f"/ledger/import/{batch.pk}/post/", follow=True)
    assert ValueEvent.objects.count() == 2 and again.status_code == 200
    assert_balanced()


def test_a_csv_with_a_bad_row_writes_nothing_and_lists_the_errors(leader_client, world, media):
    response = leader_client.post(
        "/ledger/import/",
        {"kind": "events", "file": _csv(world, [("u-00001", "10.00"), ("someone@example.org", "-5")])},
    )
    batch = ImportBatch.objects.get()
    page = leader_client.get(response["Location"])
    assert batch.status == "failed" and page.context["can_post"] is False
    columns = {(e["row"], e["column"]) for e in page.context["errors"]}
    assert ("3", "amount") in columns
    report = leader_client.get(f"/ledger/import/{batch.pk}/errors.csv")
    assert b"3,amount," in report.content
    assert ValueEvent.objects.count() == 0


def test_a_file_that_is_not_csv_is_refused_by_field(leader_client, world, media):
    upload = SimpleUploadedFile("events.xlsx", b"PK\x03\x04", content_type="application/octet-stream")
    response = leader_client.post("/ledger/import/", {"kind": "events", "file": upload})
    assert response.status_code == 400 and "file" in response.context["form"].errors
    assert ImportBatch.objects.count() == 0


def test_the_log_form_previews_the_split_of_the_amount_typed(leader_client, world):
    query = {"me": world.lead_me.code, "emc": world.emc.code, "amount": "199.00", "currency": "CNY"}
    preview = leader_client.get("/ledger/log/preview/", {**query, "partners": [world.partner.code]})
    parts = {(p["rule"], p["amount_minor"]) for p in preview.context["preview"]["parts"]}
    assert parts == {
        ("platform fee", 995),
        ("partner share", 1492),
        ("node share", 10448),
        ("node share", 6965),
    }
    bad = leader_client.get("/ledger/log/preview/", {**query, "amount": "1.999"})
    assert "at most 2 decimal places" in bad.content.decode()
    assert ValueEvent.objects.count() == 0  # a preview writes nothing


def test_the_preview_shows_no_terms_of_an_emc_the_leaders_mes_do_not_sit_in(leader_client, world):
    from tests.ledger.factories import world_build

    other = world_build()  # another leader's EMC, its own contract and partner
    query = {"emc": other.emc.code, "amount": "1000.00", "currency": "CNY", "partners": [other.partner.code]}
    for me in ({}, {"me": world.lead_me.code}):
        response = leader_client.get("/ledger/log/preview/", {**query, **me})
        assert response.status_code == 200 and "parts" not in response.context["preview"]
        html = response.content.decode()
        assert "does not sit in" in html and "Platform fee" not in html and "partner share" not in html


def test_a_refund_shows_whose_shares_it_took_back(leader_client, world, log):
    from ledger import services

    payment = log()
    refund = services.value_event_refund(
        actor=world.leader, original=payment, amount="199.00", occurred_at=timezone.now(), note="all"
    )
    page = leader_client.get(f"/ledger/me/{world.lead_me.code}/")
    summary = {s["rule"]: s["amount_minor"] for s in page.context["rows"][0].split_summary}
    assert page.context["rows"][0].pk == refund.pk
    assert summary == {"platform_fee": 995, "partner_share": 1492, "node_share": 17413}
    detail = leader_client.get(f"/ledger/transactions/{payment.transaction_id}/")
    assert detail.context["refunds"] == [refund]


def test_the_transaction_page_links_the_events_me_only_for_who_may_open_its_ledger(client, world, log):
    event = log()  # logged for the lead ME; the node ME holds a node share
    node_member = UserFactory(roles=["me_member"])
    MembershipFactory(me=world.node_me, user=node_member)
    url = f"/ledger/transactions/{event.transaction_id}/"
    client.force_login(node_member)
    page = client.get(url)
    assert page.status_code == 200 and world.lead_me.code in page.content.decode()
    assert client.get(f"/ledger/me/{world.lead_me.code}/").status_code == 403
    assert f'href="/ledger/me/{world.lead_me.code}/"' not in page.content.decode()
    client.force_login(world.leader)
    assert f'href="/ledger/me/{world.lead_me.code}/"' in client.get(url).content.decode()
