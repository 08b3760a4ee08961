"""Inquiries: a member asks about their own line, finance answers and resolves it with a reason;
others are refused; the thread and the audit trail keep every step."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config.errors import ConflictError
from orgs.audit import audit_for
from payouts import services
from payouts.models import PayoutInquiry, PayoutLine
from payouts.services import inquiries
from tests.factories import UserFactory
from tests.payouts.conftest import JUNE


@pytest.fixture
def lines(world, pay):
    pay("8000.00", JUNE + dt.timedelta(days=2))
    [rid] = services.payout_night_compute(run_date=JUNE)
    return {
        "alice": PayoutLine.objects.get(report_id=rid, user=world.alice),
        "bob": PayoutLine.objects.get(report_id=rid, user=world.bob),
        "me": PayoutLine.objects.get(report_id=rid, key=f"me:{world.emc.pk}:{world.lead_me.pk}"),
    }


def test_a_member_asks_and_finance_resolves_with_a_reason(world, lines, finance):
    inquiry = inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="Why 60%?")
    inquiries.inquiry_reply(actor=finance, inquiry=inquiry, text="Your weight is 60 all month.")
    inquiries.inquiry_resolve(actor=finance, inquiry=inquiry, reason="Explained the weights.")
    inquiry.refresh_from_db()
    assert inquiry.status == "resolved" and inquiry.resolution == "Explained the weights."
    assert list(inquiry.messages.values_list("text", flat=True)) == [
        "Why 60%?",
        "Your weight is 60 all month.",
    ]
    actions = set(audit_for(inquiry).values_list("action", flat=True))
    assert actions == {"payouts.inquiry_raise", "payouts.inquiry_reply", "payouts.inquiry_resolve"}
    with pytest.raises(ConflictError):
        inquiries.inquiry_reply(actor=world.alice, inquiry=inquiry, text="thanks")


def test_the_leader_asks_about_the_mes_line(world, lines):
    assert inquiries.inquiry_raise(actor=world.leader, line=lines["me"], text="The cap?").line == lines["me"]


def test_refusals_change_nothing(world, lines, finance):
    with pytest.raises(PermissionDenied):
        inquiries.inquiry_raise(actor=world.alice, line=lines["bob"], text="Bob's?")
    with pytest.raises(ValidationError):
        inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="   ")
    assert not PayoutInquiry.objects.exists()
    inquiry = inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="Why?")
    with pytest.raises(PermissionDenied):
        inquiries.inquiry_resolve(actor=world.alice, inquiry=inquiry, reason="myself")
    with pytest.raises(PermissionDenied):
        inquiries.inquiry_reply(actor=world.bob, inquiry=inquiry, text="me too")
    with pytest.raises(ValidationError):
        inquiries.inquiry_resolve(actor=finance, inquiry=inquiry, reason="")
    assert PayoutInquiry.objects.get().status == "open" and inquiry.messages.count() == 1


def test_pages_and_api(world, lines, finance):
    alice = Client()
    alice.force_login(world.alice)
    response = alice.post(reverse("payouts:inquiry-raise", args=[lines["alice"].pk]), {"text": "Why?"})
    inquiry = PayoutInquiry.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "payouts:inquiry-detail", args=[inquiry.pk]
    )
    assert (
        alice.post(reverse("payouts:inquiry-raise", args=[lines["bob"].pk]), {"text": "x"}).status_code == 403
    )
    bob = Client()
    bob.force_login(world.bob)
    assert bob.get(reverse("payouts:inquiry-detail", args=[inquiry.pk])).status_code == 403
    fin = Client()
    fin.force_login(finance)
    assert fin.post(reverse("payouts:inquiry-resolve", args=[inquiry.pk]), {"reason": ""}).status_code == 400
    assert (
        fin.post(reverse("payouts:inquiry-resolve", args=[inquiry.pk]), {"reason": "ok"}).status_code == 302
    )
    assert (
        fin.post(reverse("payouts:inquiry-resolve", args=[inquiry.pk]), {"reason": "again"}).status_code
        == 409
    )

    api = APIClient()
    api.force_authenticate(world.bob)
    assert api.get("/api/payouts/inquiries/").json()["count"] == 0
    made = api.post(f"/api/payouts/lines/{lines['bob'].pk}/inquiries/", {"text": "Mine?"}, format="json")
    assert made.status_code == 201
    assert (
        api.post(
            f"/api/payouts/lines/{lines['alice'].pk}/inquiries/", {"text": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        api.post(
            f"/api/payouts/inquiries/{made.json()['id']}/resolve/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    other = APIClient()
    other.force_authenticate(UserFactory(roles=["finance"]))
    done = other.post(
        f"/api/payouts/inquiries/{made.json()['id']}/resolve/", {"reason": "Answered."}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"


def test_a_draft_line_asked_about_is_recomputed_in_place_and_keeps_its_inquiry(world, lines, pay):
    inquiry = inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="Why so little?")
    before = lines["alice"].payable_minor
    pay("4000.00", JUNE + dt.timedelta(days=3))
    [rid] = services.payout_night_compute(run_date=JUNE)  # refused before: the line was PROTECTed
    inquiry.refresh_from_db()
    line = PayoutLine.objects.get(report_id=rid, user=world.alice)
    assert inquiry.line_id == line.pk == lines["alice"].pk
    assert line.payable_minor > before and line.previous_payable_minor == before
    assert (
        PayoutLine.objects.filter(report_id=rid).count()
        == PayoutLine.objects.filter(report_id=rid).values("key").distinct().count()
    )


def test_a_second_inquiry_on_a_line_with_an_open_one_is_refused(world, lines, finance):
    first = inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="hello?")
    with pytest.raises(ConflictError, match=f"Inquiry #{first.pk} on this line is open"):
        inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="again")
    client = APIClient()
    client.force_authenticate(world.alice)
    refused = client.post(
        f"/api/payouts/lines/{lines['alice'].pk}/inquiries/", {"text": "via api"}, format="json"
    )
    assert refused.status_code == 409 and f"#{first.pk}" in refused.json()["detail"]
    web = Client()
    web.force_login(world.alice)
    page = web.post(reverse("payouts:inquiry-raise", args=[lines["alice"].pk]), {"text": "via web"})
    assert page.status_code == 302 and page["Location"] == reverse("payouts:inquiry-detail", args=[first.pk])
    assert PayoutInquiry.objects.count() == 1 and first.messages.count() == 1
    # once resolved, a new question opens a new thread
    inquiries.inquiry_resolve(actor=finance, inquiry=first, reason="answered")
    second = inquiries.inquiry_raise(actor=world.alice, line=lines["alice"], text="one more")
    assert second.pk != first.pk and second.status == "open"
