"""Cost entries and hours worked: logged by form, API and CSV through judging.entries, the same
checks everywhere: a clear error naming the field, nothing written."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from judging.models import CostEntry, HoursEntry
from orgs.models import AuditEntry
from tests.factories import UserFactory
from tests.ledger.factories import world_build


@pytest.fixture
def world(db):
    return world_build()


def _month(offset_days=0):
    return f"{timezone.localdate() + dt.timedelta(days=offset_days):%Y-%m}"


def _next_month():
    today = timezone.localdate()
    return f"{(today.replace(day=28) + dt.timedelta(days=5)):%Y-%m}"


def test_a_leader_logs_a_cost_for_own_me_by_the_form(client, world):
    client.force_login(world.leader)
    url = reverse("judging:entry-log", args=["costs"])
    answer = client.post(
        url,
        {
            "me": world.lead_me.code,
            "period": _month(),
            "category": "materials",
            "amount": "12.34",
            "currency": "CNY",
        },
    )
    assert answer.status_code == 302
    entry = CostEntry.objects.get()
    assert (entry.amount_minor, entry.currency, entry.source, entry.logged_by) == (
        1234,
        "CNY",
        "ui",
        world.leader,
    )
    assert entry.starts_on == timezone.localdate().replace(day=1)
    audit = AuditEntry.objects.get(action="judging.cost_entry_log")
    assert audit.changes["amount_minor"] == 1234 and audit.actor == world.leader


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.234"}, "amount"),  # CNY has two decimals
        ({"currency": "ABC"}, "currency"),
        ({"category": "bribes"}, "category"),
        ({"period": "next"}, "period"),
        ({"period": "0000-05"}, "period"),  # no year 0 (it answered 500)
        ({"note": 5}, "note"),  # a note is text (it answered 500)
        ({"note": ["a"]}, "note"),
    ],
)
def test_bad_cost_input_names_the_field_and_writes_nothing(client, world, change, field):
    client.force_login(world.admin)
    data = {
        "me": world.lead_me.code,
        "period": _month(),
        "category": "labour",
        "amount": "1.00",
        "currency": "CNY",
    }
    answer = client.post(
        reverse("api-judging-cost-entry-list"), {**data, **change}, content_type="application/json"
    )
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert (
        not CostEntry.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="judging.").exists()
    )


def test_a_period_that_has_not_started_is_refused(client, world):
    client.force_login(world.admin)
    answer = client.post(
        reverse("api-judging-hours-entry-list"),
        {"me": world.lead_me.code, "period": _next_month(), "hours": "10"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "has not started" in answer.json()["errors"]["period"][0]
    across = client.post(
        reverse("api-judging-hours-entry-list"),
        {"me": world.lead_me.code, "starts_on": "2026-01-30", "ends_on": "2026-02-02", "hours": "10"},
        content_type="application/json",
    )
    assert across.status_code == 400 and "ends_on" in across.json()["errors"]
    assert not HoursEntry.objects.exists()


def test_a_leader_may_not_log_for_another_me(client, world):
    client.force_login(world.leader)
    answer = client.post(
        reverse("api-judging-hours-entry-list"),
        {"me": world.node_me.code, "period": _month(), "hours": "10"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["me"] == [
        "You may log costs and hours only for microenterprises you lead."
    ]
    form = client.post(
        reverse("judging:entry-log", args=["hours"]),
        {"me": world.node_me.code, "period": _month(), "hours": "1"},
    )
    assert form.status_code == 400 and "me" in form.context["form"].errors
    member = UserFactory(roles=["me_member"])
    client.force_login(member)
    assert client.get(reverse("judging:entry-log", args=["costs"])).status_code == 403
    assert not HoursEntry.objects.exists()


def test_the_api_creates_several_all_or_none_and_lists_by_me_and_period(client, world):
    client.force_login(world.admin)
    url = reverse("api-judging-hours-entry-list")
    good = {"me": world.lead_me.code, "period": _month(), "hours": "37.5", "note": "sprint"}
    bad = {"me": world.node_me.code, "period": _month(), "hours": "0"}
    refused = client.post(url, [good, bad], content_type="application/json")
    assert refused.status_code == 400 and "1.hours" in refused.json()["errors"]
    assert not HoursEntry.objects.exists()
    made = client.post(url, [good, {**bad, "hours": "2"}], content_type="application/json")
    assert made.status_code == 201 and [r["hours"] for r in made.json()] == ["37.50", "2.00"]
    listed = client.get(url, {"me": world.lead_me.code, "period": _month()}).json()
    assert [r["hours"] for r in listed["results"]] == ["37.50"]
    number = client.post(
        reverse("api-judging-cost-entry-list"),
        {"me": world.lead_me.code, "period": _month(), "category": "labour", "amount": 5, "currency": "CNY"},
        content_type="application/json",
    )
    assert number.status_code == 400 and "amount" in number.json()["errors"]  # money travels as text


def _upload(client, text, kind="costs"):
    return client.post(
        reverse("judging:entries-import"),
        {"kind": kind, "file": SimpleUploadedFile("costs.csv", text.encode(), content_type="text/csv")},
    )


def test_a_good_csv_is_written_whole(client, world):
    client.force_login(world.admin)
    month = _month()
    text = (
        "me,period,category,amount,currency,note\n"
        f"{world.lead_me.code},{month},materials,100.00,CNY,steel\n"
        f"{world.node_me.code},{month},overhead,0.50,CNY,\n"
    )
    assert _upload(client, text).status_code == 302
    assert sorted(CostEntry.objects.values_list("amount_minor", "source")) == [(50, "csv"), (10000, "csv")]
    assert AuditEntry.objects.filter(action="judging.cost_entry_log").count() == 2


def test_a_bad_csv_writes_nothing_and_names_row_and_column(client, world):
    client.force_login(world.admin)
    month = _month()
    text = (
        "me,period,category,amount,currency,note\n"
        f"{world.lead_me.code},{month},materials,100.00,CNY,fine\n"
        f"{world.lead_me.code},{month},materials,-3.00,CNY,negative\n"
        f"nobody,{month},travel,1.00,XYZ,\n"
    )
    answer = _upload(client, text)
    assert answer.status_code == 400
    errors = {(e["row"], e["field"]) for e in answer.context["row_errors"]}
    assert errors == {(3, "amount"), (4, "me"), (4, "category"), (4, "currency")}
    assert not CostEntry.objects.exists()
    header = _upload(client, "who,what\nx,y\n")
    assert header.status_code == 400 and "file" in header.context["form"].errors


def test_hours_may_be_a_json_number_but_not_a_boolean(client, world):
    client.force_login(world.leader)
    url = reverse("api-judging-hours-entry-list")
    ok = client.post(
        url, {"me": world.lead_me.code, "period": _month(), "hours": 8}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["hours"] == "8.00"
    no = client.post(
        url, {"me": world.lead_me.code, "period": _month(), "hours": True}, content_type="application/json"
    )
    assert no.status_code == 400 and "hours" in no.json()["errors"]
    assert HoursEntry.objects.count() == 1


def test_the_entry_lists_keep_a_constant_query_count(client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from judging import entries

    client.force_login(world.admin)
    url = reverse("api-judging-cost-entry-list")

    def log(n):
        entries.cost_entries_post(
            specs=[
                entries.CostSpec(
                    me=world.lead_me.code, period=_month(), category="other", amount="1", currency="CNY"
                )
                for _ in range(n)
            ],
            actor=world.admin,
            source="api",
        )

    log(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"me": world.lead_me.code, "period": _month()})
    log(5)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(url, {"me": world.lead_me.code, "period": _month()}).json()["results"]) == 6


def test_the_statement_chooser_refuses_a_code_no_address_can_hold(client, world):
    client.force_login(world.admin)
    answer = client.get(reverse("judging:statement-home"), {"scope": "me", "code": "a b"})
    assert answer.status_code == 200  # the chooser again, not a 500


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"starts_on": "2026-11-20", "ends_on": "2026-11-10"}, "ends_on"),  # before they start
        ({"starts_on": "2026-11-20", "ends_on": "2026-12-05"}, "ends_on"),  # outside the month
        ({"starts_on": "2026-10-30"}, "starts_on"),
        ({"ends_on": "2026-11-31"}, "ends_on"),  # no such day
    ],
)
def test_cost_days_that_conflict_with_the_month_are_field_errors(client, world, days, field):
    client.force_login(world.leader)
    data = {"me": world.lead_me.code, "period": "2026-11", "category": "materials", "amount": "12.00"}
    answer = client.post(reverse("judging:entry-log", args=["costs"]), {**data, "currency": "CNY", **days})
    assert answer.status_code == 400 and field in answer.context["form"].errors
    assert not CostEntry.objects.exists()


def test_cost_days_inside_the_month_named_are_the_entrys_days(client, world):
    client.force_login(world.admin)
    body = {"me": world.lead_me.code, "period": "2026-11", "starts_on": "2026-11-10", "ends_on": "2026-11-20"}
    body |= {"category": "materials", "amount": "12.00", "currency": "CNY"}
    made = client.post(reverse("api-judging-cost-entry-list"), body, content_type="application/json")
    assert made.status_code == 201, made.json()
    entry = CostEntry.objects.get()
    assert (entry.starts_on, entry.ends_on) == (dt.date(2026, 11, 10), dt.date(2026, 11, 20))


def test_hours_are_decimal_text_within_24_a_day_for_each_member(client, world):
    from tests.factories import MembershipFactory

    for _n in range(3):
        MembershipFactory(me=world.lead_me)
    client.force_login(world.leader)
    url = reverse("api-judging-hours-entry-list")
    for hours in ("1e5", "1E3", 1e20, "100000", "2160.01"):  # November: 30 days x 24 h x 3 members
        answer = client.post(
            url,
            {"me": world.lead_me.code, "period": "2026-11", "hours": hours},
            content_type="application/json",
        )
        assert answer.status_code == 400 and "hours" in answer.json()["errors"], hours
    form = client.post(
        reverse("judging:entry-log", args=["hours"]),
        {"me": world.lead_me.code, "period": "2026-11", "hours": "1e3"},
    )
    assert form.status_code == 400 and "hours" in form.context["form"].errors
    assert not HoursEntry.objects.exists()
    made = client.post(
        url, {"me": world.lead_me.code, "period": "2026-11", "hours": "2160"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["hours"] == "2160.00"
