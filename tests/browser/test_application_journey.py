"""Journey in a real Chromium: a firm applies from the login page (a mismatched password is
refused first), follows its state as a partner user, an admin admits it to probation from the
queue, and the applicant sees it on probation."""

import pytest

from orgs.models import Industry, PartnerRole, PartnerTier
from tests.factories import reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_partner_applies_and_is_admitted(user_with_role, login, page):
    user_with_role("platform_admin", username="ada")
    # the reference rows the form offers (a transaction=True test before may have flushed them)
    reference(PartnerRole, "product-service", name="Product / service provider")
    reference(PartnerTier, "registered", name="Registered", rank=0)
    industry = Industry.objects.filter(code="2750").first()
    if industry is None:
        Industry.objects.create(code="2750", level="class", title="Manufacture of domestic appliances")

    page.goto("/login/")
    page.get_by_test_id("apply-link").click()
    page.wait_for_url("**/apply/")
    page.fill("#id_company", "Aurora Dryers")
    page.get_by_label("Product / service provider").check()
    page.fill("#id_industries", "2750")
    page.fill("#id_offer", "Heat-pump dryers for balconies")
    page.fill("#id_contact_name", "Ann Aurora")
    page.fill("#id_contact_email", "ann@aurora.example")
    page.fill("#id_username", "aurora")
    page.fill("#id_password", "dry-and-warm-2026")
    page.fill("#id_password_again", "dry-and-warm-2026x")
    page.get_by_role("button", name="Send the application").click()
    assert page.get_by_test_id("error-password_again").is_visible()

    page.fill("#id_password", "dry-and-warm-2026")
    page.fill("#id_password_again", "dry-and-warm-2026")
    page.get_by_role("button", name="Send the application").click()
    page.wait_for_url("**/")
    assert "Applied" in page.get_by_test_id("own-partner-state").inner_text()
    assert page.get_by_test_id("menu-partners-menu").count() == 0
    page.get_by_role("button", name="Log out").click()

    login("ada")
    page.wait_for_url("**/")
    page.get_by_test_id("open-queue").click()
    page.wait_for_url("**/partners/applications/")
    form = page.get_by_test_id("decide-admit-aurora-dryers")
    form.locator("textarea[name=reason]").fill("A good fit for the balcony EMC")
    form.locator("input[name=confirm]").check()
    form.get_by_role("button", name="Admit to probation").click()
    page.wait_for_url("**/partners/applications/")
    assert page.get_by_test_id("application-aurora-dryers").count() == 0
    page.get_by_role("button", name="Log out").click()

    login("aurora", "dry-and-warm-2026")
    page.wait_for_url("**/")
    assert "Probation" in page.get_by_test_id("own-partner-state").inner_text()
    assert "A good fit for the balcony EMC" in page.get_by_test_id("own-partner-timeline").inner_text()
