"""Admin is read-only for postings; the demo loader posts a balanced ledger once."""

import pytest
from django.urls import reverse

from ledger import selectors
from ledger.demo import demo_ledger_load
from ledger.models import Contract, ValueEvent
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db


def test_admin_pages_load_and_postings_cannot_be_added(client, world, log):
    log()
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    for name in (
        "transaction",
        "leg",
        "valueevent",
        "account",
        "contract",
        "accountday",
        "usersignal",
        "importbatch",
    ):
        assert client.get(reverse(f"admin:ledger_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:ledger_transaction_add")).status_code == 403
    txn = ValueEvent.objects.get().transaction
    page = client.get(reverse("admin:ledger_transaction_change", args=[txn.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    # an approved contract is not editable
    assert (
        b'name="_save"'
        not in client.get(reverse("admin:ledger_contract_change", args=[world.contract.pk])).content
    )


def test_demo_loader_returns_early_without_emcs(db):
    assert "no EMCs" in demo_ledger_load(users={"admin": None}, progress=lambda *_: None)


def test_demo_loader_posts_a_balanced_ledger_once(db):
    world = world_build(with_contract=False)
    messages = []
    summary = demo_ledger_load(users={"admin": world.admin}, progress=messages.append)
    assert Contract.objects.filter(status="approved").count() == 1
    assert ValueEvent.objects.filter(kind="payment").count() > 300
    assert ValueEvent.objects.filter(kind="refund").exists()
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []
    assert "payments" in summary
    assert (
        demo_ledger_load(users={"admin": world.admin}, progress=messages.append)
        == "demo ledger already loaded"
    )
