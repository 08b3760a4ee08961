"""Journey 3 in a real Chromium: an ME leader logs a user payment (choosing the EMC reloads the
scenarios and partners through htmx), lands on the ME ledger and sees the event with its split;
submitting the same form again (back, then submit; or a double click) does not post twice."""

import re

import pytest
from django.utils import timezone

from ledger.models import ValueEvent
from tests.factories import EMCFactory, ScenarioFactory
from tests.ledger.factories import world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _fill_payment(page, world, *, user_ref="member-8841", amount="199.00"):
    page.goto("/ledger/log/")
    # the leader's ME is in two EMCs: choosing one loads its scenarios and partners (htmx)
    page.select_option("#id_emc", world.emc.code)
    page.wait_for_selector(f"input[name=partners][value='{world.partner.code}']")
    assert page.locator("#id_scenario").input_value() == world.scenario.code  # its only scenario
    page.select_option("#id_solution", world.solution.code)
    page.select_option("#id_category", world.category.code)
    page.fill("#id_user_ref", user_ref)
    page.fill("#id_amount", amount)
    assert page.locator("#id_currency").input_value() == "CNY"  # the contract's currency
    page.check(f"input[name=partners][value='{world.partner.code}']")
    # the split of the amount typed is previewed (htmx), by the contract in force
    preview = page.get_by_test_id("split-preview")
    page.wait_for_function(
        "t => (document.querySelector('[data-testid=split-preview]') || {}).innerText?.includes(t)",
        arg="Partner",
    )
    assert "Platform fee" in preview.inner_text()


def _event_rows(page):
    return page.get_by_test_id("events").get_by_test_id("event-row")


def test_a_leader_logs_a_payment_and_sees_its_split_and_a_resubmit_posts_nothing(login, page):
    world = world_build()
    second_emc = EMCFactory(lead_me=world.lead_me, code="emc-kitchen", name="Smart kitchen")
    second_emc.scenarios.add(ScenarioFactory(code="kitchen", name="Kitchen"))
    login(world.leader.username)
    page.wait_for_url("**/")

    _fill_payment(page, world)
    token = page.locator("input[name=token]").input_value()
    page.get_by_test_id("submit").click()
    page.wait_for_url(re.compile(rf"/ledger/me/{world.lead_me.code}/\?highlight=\d+"))

    # the event is on the ME ledger with its split, opened, each leg explained
    assert ValueEvent.objects.count() == 1
    assert _event_rows(page).count() == 1
    row = _event_rows(page).first
    assert "CN¥199.00" in row.get_by_test_id("event-amount").inner_text()
    split = row.get_by_test_id("split")
    assert split.is_visible()
    legs = split.get_by_test_id("leg")
    assert legs.count() == 5  # payment, fee, partner, two nodes: no holdback at posting
    fee = split.locator("[data-rule=platform_fee]")
    assert "CN¥9.95" in fee.inner_text() and "5% platform fee of CN¥199.00" in fee.inner_text()
    assert "CN¥14.92" in split.locator("[data-rule=partner_share]").inner_text()
    assert "Logged 199.00 CNY" in page.content()

    # back to the filled form, submit it again: the server shows the first posting instead
    page.go_back()
    page.wait_for_load_state()
    assert page.url.endswith("/ledger/log/")
    # whether the browser restored the page from its cache or fetched it again, the form
    # carries the token it was submitted with (ledger-forms.js puts it back)
    assert page.locator("input[name=token]").input_value() == token
    submit = page.get_by_test_id("submit")
    submit.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('[data-testid=submit]').disabled")
    submit.click()
    page.wait_for_url(re.compile(rf"/ledger/me/{world.lead_me.code}/\?highlight=\d+"))
    assert "already submitted" in page.content()
    assert ValueEvent.objects.count() == 1
    assert _event_rows(page).count() == 1


def test_a_double_click_on_submit_posts_once(login, page):
    world = world_build()
    EMCFactory(lead_me=world.lead_me, code="emc-kitchen")
    login(world.leader.username)
    page.wait_for_url("**/")
    _fill_payment(page, world, user_ref="member-0007", amount="88.80")
    page.get_by_test_id("submit").dblclick()
    page.wait_for_url(re.compile(r"/ledger/me/"))
    page.wait_for_load_state("networkidle")
    assert ValueEvent.objects.count() == 1
    assert _event_rows(page).count() == 1
    assert ValueEvent.objects.get().occurred_at <= timezone.now()


def test_the_log_form_offers_only_the_chosen_solutions_categories(login, page):
    from tests.factories import CategoryFactory

    world = world_build()
    drying, washing = CategoryFactory(name="Drying"), CategoryFactory(name="Washing")
    CategoryFactory(name="Cooking")
    world.solution.categories.set([drying, washing])
    login(world.leader.username)
    page.wait_for_url("**/")
    page.goto("/ledger/log/")
    assert page.locator("#id_emc").input_value() == world.emc.code  # its only EMC
    assert page.locator("#id_scenario").input_value() == world.scenario.code

    def offered():
        return page.locator("#id_category option").evaluate_all("os => os.map(o => o.textContent)")

    assert {"Drying", "Washing", "Cooking"} <= set(offered())
    page.select_option("#id_solution", world.solution.code)  # the page script filters the select
    assert offered() == ["—", "Drying", "Washing"]
    page.select_option("#id_category", drying.code)
    page.select_option("#id_solution", "")
    assert "Cooking" in offered() and page.locator("#id_category").input_value() == drying.code
