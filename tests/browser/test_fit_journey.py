"""The new pages fit a phone (390 px) and a laptop (1366 px): nothing runs wider than the window."""

import os

import pytest

from orgs.models import Partner
from tests.factories import MicroenterpriseFactory, PartnerFactory, ScenarioFactory
from tests.ledger.factories import world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = [
    "/",
    "/emcs/new/",
    "/mes/new/",
    "/catalog/",
    "/partners/applications/",
    "/partners/new/",
    "/account/",
]
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep the screenshots


@pytest.mark.parametrize("width", [390, 1366])
def test_the_new_pages_never_run_wider_than_the_window(user_with_role, login, page, width):
    world = world_build()
    admin = world.admin
    admin.username = "ada"
    admin.save()
    ScenarioFactory(name="A scenario with a rather long name to wrap on a phone")
    PartnerFactory(
        state=Partner.State.APPLIED, name="Applicant With A Long Company Name Ltd", offer="x" * 300
    )
    MicroenterpriseFactory(code="second-me")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/apply/")
    assert page.evaluate(OVERFLOW) <= 0, "/apply/"
    login("ada")
    page.wait_for_url("**/")
    for url in [*PAGES, f"/mes/{world.lead_me.code}/merge/"]:
        page.goto(url)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{width}{url.replace('/', '_')}.png", full_page=True)
        assert page.evaluate(OVERFLOW) <= 0, url
