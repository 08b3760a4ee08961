"""Admin is read-only for postings; the demo loader posts a balanced ledger once."""

import pytest
from django.urls import reverse

from ledger import selectors
from ledger.demo import demo_ledger_load
from ledger.models import Contract, ValueEvent
from ledger.verification import ledger_verify
from tests.factories import UserFactory
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
        "ledgerseal",
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
    users = {"admin": world.admin, "admin2": UserFactory(roles=["platform_admin"])}
    summary = demo_ledger_load(users=users, progress=messages.append)
    assert Contract.objects.filter(status="approved").count() == 1
    assert ValueEvent.objects.filter(kind="payment").count() > 300
    assert ValueEvent.objects.filter(kind="refund").exists()
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []
    assert ledger_verify(full=True).ok
    assert "payments" in summary
    assert demo_ledger_load(users=users, progress=messages.append) == "demo ledger already loaded"


def test_a_staff_platform_admin_reads_the_ledger_admin_and_approves_by_the_rules(client, world):
    """Not a superuser: the rules in orgs/rules.py decide, as in the UI and API."""
    from ledger import services

    world.admin.is_staff = True
    world.admin.is_superuser = False
    world.admin.save()
    draft = services.contract_draft_create(
        actor=world.admin,
        emc=world.contract.emc,
        effective_from=world.contract.effective_from,
        currency="CNY",
        period="month",
        platform_fee_pct=5,
        target_minor=1_000_000,
        base_rate_pct=10,
        node_shares=[{"me": s.me, "share_pct": s.share_pct} for s in world.contract.node_shares.all()],
    )
    client.force_login(world.admin)
    assert client.get(reverse("admin:ledger_contract_changelist")).status_code == 200
    action = {"action": "approve_selected", "_selected_action": [draft.pk]}
    # four eyes: its drafter is refused with the reason, and the version stays a draft
    own = client.post(reverse("admin:ledger_contract_changelist"), action, follow=True)
    assert "another admin approves it" in own.content.decode()
    draft.refresh_from_db()
    assert draft.status == Contract.Status.DRAFT
    approver = UserFactory(roles=["platform_admin"], is_staff=True)
    client.force_login(approver)
    response = client.post(reverse("admin:ledger_contract_changelist"), action)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Contract.Status.APPROVED and draft.approved_by == approver
    # terms are never edited in the admin, even on a draft
    page = client.get(reverse("admin:ledger_contract_change", args=[draft.pk]))
    assert b'name="_save"' not in page.content


def test_an_auditor_reads_the_ledger_admin_but_cannot_approve(client, world, user_with_role):
    auditor = user_with_role("auditor", is_staff=True)
    client.force_login(auditor)
    page = client.get(reverse("admin:ledger_contract_changelist"))
    assert page.status_code == 200
    assert b"approve_selected" not in page.content
    assert client.get(reverse("admin:ledger_transaction_changelist")).status_code == 200


def test_an_me_leader_sees_no_ledger_admin(client, world):
    world.leader.is_staff = True
    world.leader.save()
    client.force_login(world.leader)
    assert client.get(reverse("admin:ledger_contract_changelist")).status_code == 403
