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
SHOTS = os.environ.get("SCREENSHOT_DIR")
# what runs past the window's right edge (tag, class, test id), to say what to fix
WIDE = """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >
  window.innerWidth + 1 && !e.closest('.table-responsive')).slice(0, 5).map(e =>
  `${e.tagName}.${e.className} ${e.dataset.testid || ''}`)"""  # set it to keep the screenshots


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
        answer = page.goto(url)
        assert answer.status < 400, url
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{width}{url.replace('/', '_')}.png", full_page=True)
        assert page.evaluate(OVERFLOW) <= 0, url


# the judging pages, the payouts pages and the token list, with data in them
JUDGING_PAGES = [
    "/judging/scorecards/",
    "/judging/proposals/",
    "/judging/matrix/",
    "/judging/rules/",
    "/judging/rules/new/",
    "/payouts/reports/",
    "/payouts/statement/",
    "/account/tokens/",
]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_judging_and_payouts_pages_never_run_wider_than_the_window(login, page, width):
    from rest_framework.authtoken.models import Token

    from judging.models import Proposal
    from judging.proposals import proposals_make
    from tests.factories import UserFactory
    from tests.judging.test_proposals import D, cards, rule

    world = world_build()
    admin = world.admin
    admin.username = "ada"
    admin.save()
    rule(
        admin,
        code="refunds-long",
        name="Refunds too high for a rather long rule name that must wrap on a phone",
    )
    partner = PartnerFactory(name="Drift Laundry Technology With A Long Name Co., Ltd", code="drift")
    cards(partner, "25.00", "31.50")
    proposals_make(day=D)
    Token.objects.create(user=UserFactory(username="a-script-user-with-a-long-username-for-a-phone"))
    page.set_viewport_size({"width": width, "height": 900})
    login("ada")
    page.wait_for_url("**/")
    urls = [
        *JUDGING_PAGES,
        f"/judging/proposals/{Proposal.objects.get().pk}/",
        f"/judging/partners/{partner.code}/?date={D.isoformat()}",
        f"/ledger/me/{world.lead_me.code}/",
        f"/partners/{partner.code}/",
    ]
    for url in urls:
        answer = page.goto(url)
        assert answer.status < 400, url
        if SHOTS:
            name = url.replace("/", "_").replace("?", "_")
            page.screenshot(path=f"{SHOTS}/{width}{name}.png", full_page=True)
        assert page.evaluate(OVERFLOW) <= 0, (url, page.evaluate(WIDE))
