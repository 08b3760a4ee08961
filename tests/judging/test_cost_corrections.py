"""Costs are corrected, never edited or doubled: a CSV whose rows were already imported is
refused whole (nothing written), and a mistaken cost is reversed by finance or an admin with a
reason (form and API), audited, the statement netting the two."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from judging import entries
from judging.models import CostEntry, EntryImport, HoursEntry
from orgs.models import AuditEntry
from tests.factories import UserFactory
from tests.ledger.factories import world_build


@pytest.fixture
def world(db):
    return world_build()


@pytest.fixture
def finance(db):
    return UserFactory(username="fiona", roles=["finance"])


def _month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def _upload(client, text, kind="costs"):
    return client.post(
        reverse("judging:entries-import"),
        {"kind": kind, "file": SimpleUploadedFile("costs.csv", text.encode(), content_type="text/csv")},
    )


def _costs_csv(world, newline="\n") -> str:
    month = _month()
    return newline.join(
        [
            "me,period,category,amount,currency,note",
            f"{world.lead_me.code},{month},materials,100.00,CNY,steel",
            f"{world.node_me.code},{month},overhead,0.50,CNY,",
            "",
        ]
    )


def test_re_importing_the_same_costs_is_refused_and_doubles_nothing(client, world):
    client.force_login(world.admin)
    assert _upload(client, _costs_csv(world)).status_code == 302
    assert CostEntry.objects.count() == 2 and EntryImport.objects.get().rows == 2
    audits = AuditEntry.objects.count()
    lines = _costs_csv(world).splitlines()
    for again in (
        _costs_csv(world),  # the same file
        _costs_csv(world, newline="\r\n"),  # saved again on another machine
        "\n".join([lines[0], lines[2], lines[1]]) + "\n",  # its rows in another order
    ):
        answer = _upload(client, again)
        assert answer.status_code == 400
        (message,) = answer.context["form"].errors["file"]
        assert (
            message.startswith("These 2 rows were already imported on ") and "nothing was written" in message
        )
    assert CostEntry.objects.count() == 2 and AuditEntry.objects.count() == audits
    # other rows are a new file
    assert _upload(client, _costs_csv(world).replace("steel", "copper")).status_code == 302
    assert CostEntry.objects.count() == 4


def test_re_importing_the_same_hours_is_refused(client, world):
    client.force_login(world.admin)
    text = f"me,period,hours\n{world.lead_me.code},{_month()},160\n"
    assert _upload(client, text, kind="hours").status_code == 302
    assert _upload(client, text, kind="hours").status_code == 400
    assert HoursEntry.objects.count() == 1
    # the same rows of the other kind do not collide (the digest names its kind)
    assert entries.rows_digest(kind="hours", specs=[]) != entries.rows_digest(kind="costs", specs=[])


def _cost(world, amount="100.00", category="materials") -> CostEntry:
    (entry,) = entries.cost_entries_post(
        specs=[
            entries.CostSpec(
                me=world.lead_me.code, period=_month(), category=category, amount=amount, currency="CNY"
            )
        ],
        actor=world.leader,
        source="ui",
    )
    return entry


def test_finance_reverses_a_cost_by_the_form_and_the_statement_nets_it(client, world, finance):
    entry = _cost(world, amount="1000.00")
    _cost(world, amount="40.00", category="services")
    client.force_login(finance)
    url = reverse("judging:cost-entry-reverse", args=[entry.pk])
    assert client.post(url, {"reason": "typed 1000 for 100"}).status_code == 302  # no confirmation
    assert not CostEntry.objects.filter(reverses=entry).exists()
    answer = client.post(url, {"reason": "typed 1000 for 100", "confirm": "on"})
    assert answer.status_code == 302 and "kind=costs" in answer.url
    reversal = CostEntry.objects.get(reverses=entry)
    assert (
        reversal.amount_minor,
        reversal.category,
        reversal.starts_on,
        reversal.note,
        reversal.logged_by,
    ) == (
        -100000,
        "materials",
        entry.starts_on,
        "typed 1000 for 100",
        finance,
    )
    audit = AuditEntry.objects.get(action="judging.cost_entry_reverse")
    assert (audit.actor, audit.reason, audit.object_id) == (finance, "typed 1000 for 100", str(entry.pk))
    page = client.get(answer.url).content.decode()
    assert f"Reversed by #{reversal.pk}" in page and f"Reverses #{entry.pk}" in page
    # what the statement sums: the materials netted to zero, the services kept
    totals = CostEntry.objects.filter(me=world.lead_me).values_list("category", "amount_minor")
    assert sum(a for c, a in totals if c == "materials") == 0
    assert sum(a for _c, a in totals) == 4000


def test_the_api_reverses_once_with_a_reason_and_only_for_finance_or_an_admin(client, world, finance):
    entry = _cost(world)
    url = reverse("api-judging-cost-entry-reverse", args=[entry.pk])
    client.force_login(world.leader)  # logs costs, does not correct them
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    client.force_login(finance)
    blank = client.post(url, {"reason": "  "}, content_type="application/json")
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    assert not CostEntry.objects.filter(reverses__isnull=False).exists()
    done = client.post(url, {"reason": "counted twice"}, content_type="application/json")
    assert done.status_code == 201, done.json()
    assert (done.json()["reverses"], done.json()["amount"], done.json()["note"]) == (
        entry.pk,
        "-100.00",
        "counted twice",
    )
    again = client.post(url, {"reason": "again"}, content_type="application/json")
    assert again.status_code == 409 and "already reversed" in again.json()["errors"]["entry"][0]
    back = client.post(
        reverse("api-judging-cost-entry-reverse", args=[done.json()["id"]]),
        {"reason": "undo"},
        content_type="application/json",
    )
    assert back.status_code == 409
    assert CostEntry.objects.count() == 2
    listed = client.get(reverse("api-judging-cost-entry-list")).json()["results"]
    assert {(e["id"], e["reverses"], e["reversed_by"]) for e in listed} == {
        (entry.pk, None, done.json()["id"]),
        (done.json()["id"], entry.pk, None),
    }


def test_the_database_keeps_the_sign_of_a_cost_and_of_a_reversal(world):
    entry = _cost(world)
    now = timezone.now()
    common = {
        "me": world.lead_me,
        "starts_on": entry.starts_on,
        "ends_on": entry.ends_on,
        "category": "other",
    }
    common |= {"currency": "CNY", "logged_at": now, "source": "ui"}
    for bad in ({"amount_minor": -1}, {"amount_minor": 5, "reverses": entry}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CostEntry.objects.create(**common, **bad)
    CostEntry.objects.create(**common, amount_minor=-entry.amount_minor, reverses=entry)
    with pytest.raises(IntegrityError), transaction.atomic():  # one reversal per entry
        CostEntry.objects.create(**common, amount_minor=-entry.amount_minor, reverses=entry)
