"""Journey 2 in a real Chromium: an admin finds a partner with the directory filters, phases it
out with a reason (a missing reason is refused first), sees the step in the lifecycle timeline,
and sees that the EMC page no longer lists the partner as active."""

import datetime as dt

import pytest

from tests.factories import EMCFactory, EMCParticipationFactory, PartnerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_phases_out_a_partner_found_by_filter(user_with_role, login, page):
    user_with_role("platform_admin", username="ada")
    balcony = EMCFactory(code="balcony", name="Smart balcony")
    other = EMCFactory(code="kitchen", name="Smart kitchen")
    for name in ["Aurora Dryers", "Breeze Appliances", "Drift Laundry Tech"]:
        partner = PartnerFactory(
            name=name, code=name.lower().replace(" ", "-"), state="active", state_since=dt.date(2024, 1, 1)
        )
        EMCParticipationFactory(emc=balcony, partner=partner, started_on=dt.date(2024, 2, 1))
    EMCParticipationFactory(emc=other, partner=PartnerFactory(name="Drift Kitchen Co", state="active"))
    PartnerFactory(name="Drift Applicant", state="applied")

    login("ada")
    page.wait_for_url("**/")
    page.goto("/partners/")
    # filter: active partners of the balcony EMC whose name has "drift" (htmx refreshes the table)
    page.get_by_test_id("filter-emc").select_option("balcony")
    page.get_by_test_id("filter-state").select_option("active")
    page.get_by_test_id("filter-q").fill("drift")
    rows = page.get_by_test_id("partner-table").locator("tbody tr")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=partner-table] tbody tr').length === 1"
    )
    assert rows.count() == 1 and "Drift Laundry Tech" in rows.first.inner_text()
    assert "emc=balcony" in page.url  # the filtered view is linkable

    rows.first.get_by_role("link", name="Drift Laundry Tech").click()
    page.wait_for_url("**/partners/drift-laundry-tech/")

    # a missing reason is refused with a field error and changes nothing
    page.get_by_test_id("action-phase_out").click()
    form = page.get_by_test_id("form-phase_out")
    form.locator("input[name=confirm]").check()
    form.get_by_role("button", name="Confirm").click()
    assert page.get_by_test_id("error-reason").inner_text() == "A reason is required."
    assert "Active" in page.get_by_test_id("partner-state").inner_text()

    form = page.get_by_test_id("form-phase_out")
    form.locator("textarea[name=reason]").fill("Users wanted better drying solutions")
    form.locator("input[name=confirm]").check()
    form.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/partners/drift-laundry-tech/")
    assert "Phased out" in page.get_by_test_id("partner-state").inner_text()
    latest = page.get_by_test_id("timeline").locator("li").first
    assert "Active → Phased out" in latest.inner_text()  # states by their labels, not codes
    assert "Users wanted better drying solutions" in latest.get_by_test_id("timeline-reason").inner_text()
    assert "by ada" in latest.inner_text()

    page.goto("/emcs/balcony/")
    active = page.get_by_test_id("active-partners").inner_text()
    assert "Aurora Dryers" in active and "Breeze Appliances" in active
    assert "Drift Laundry Tech" not in active
    assert "Drift Laundry Tech" in page.get_by_test_id("past-partners").inner_text()
