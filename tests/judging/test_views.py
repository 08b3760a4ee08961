"""The scorecard pages: the comparison table (filters, sorting, pagination, CSV) for the company's
own people, and a partner's scorecard, which a partner user sees for its own partner only."""

import csv
import io

import pytest
from django.urls import reverse

from orgs.models import PartnerUser
from tests.factories import PartnerFactory, UserFactory


@pytest.fixture
def judged_night(judged, night):
    night()
    return judged


def _partner_user(partner):
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=partner)
    return user


def test_the_comparison_table_lists_sorts_and_filters_the_days_scorecards(client, judged_night):
    client.force_login(UserFactory(roles=["auditor"]))
    p, p2 = judged_night.world.partner, judged_night.p2
    page = client.get(reverse("judging:scorecard-list"))
    assert page.status_code == 200
    rows = [c.partner_id for c in page.context["page"]]
    assert rows.index(p.pk) < rows.index(p2.pk)  # most revenue first
    assert "CN¥70.00" in page.content.decode() or "70.00" in page.content.decode()
    ascending = client.get(reverse("judging:scorecard-list"), {"sort": "revenue"})
    rows = [c.partner_id for c in ascending.context["page"]]
    assert rows.index(p2.pk) < rows.index(p.pk)
    logistics = client.get(reverse("judging:scorecard-list"), {"role": "logistics"})
    assert [c.partner_id for c in logistics.context["page"]] == [p2.pk]


def test_a_bad_date_or_filter_is_a_clear_refusal_not_an_error(client, judged_night):
    client.force_login(UserFactory(roles=["auditor"]))
    page = client.get(reverse("judging:scorecard-list"), {"date": "2025-02-30"})
    assert page.status_code == 200 and page.context["date_error"]
    assert not list(page.context["page"])
    page = client.get(reverse("judging:scorecard-list"), {"state": "nonsense"})
    assert page.status_code == 200 and page.context["filter"].errors
    detail = client.get(reverse("judging:scorecard-detail", args=[judged_night.p2.code]), {"date": "x"})
    assert detail.status_code == 200 and detail.context["date_error"] and detail.context["card"] is None


def test_the_csv_export_has_the_filtered_rows_in_major_units(client, judged_night):
    client.force_login(UserFactory(roles=["finance"]))
    response = client.get(reverse("judging:scorecard-export"), {"q": judged_night.world.partner.code})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["day", "partner", "name"]
    assert len(rows) == 2
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["revenue"] == "70.00" and line["currency"] == "CNY"
    assert line["refund_rate_pct"] == "30.00" and line["experience_margin"] == "-0.50"


def test_a_scorecard_page_shows_each_window_and_the_events_behind_it(client, judged_night):
    client.force_login(UserFactory(roles=["me_member"]))
    p = judged_night.world.partner
    page = client.get(reverse("judging:scorecard-detail", args=[p.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="margin_mean"' in html and 'data-trend="down"' in html
    events = list(page.context["events"])
    assert {e.pk for e in events} == {judged_night.events["e1"].pk, events[0].pk}
    assert {e.kind for e in events} == {"payment", "refund"}
    assert sorted(s.rating for s in page.context["ratings"]) == [2, 5]
    year = client.get(reverse("judging:scorecard-detail", args=[p.code]), {"window": "365"})
    assert judged_night.events["e0"].pk in {e.pk for e in year.context["events"]}
    assert page.context["spark"]["labels"] == [judged_night.day.isoformat()]


def test_a_partner_user_sees_its_own_scorecard_and_no_other(client, judged_night):
    p, p2 = judged_night.world.partner, judged_night.p2
    client.force_login(_partner_user(p))
    assert client.get(reverse("judging:scorecard-detail", args=[p.code])).status_code == 200
    assert client.get(reverse("judging:scorecard-detail", args=[p2.code])).status_code == 404
    assert client.get(reverse("judging:scorecard-list")).status_code == 403
    assert client.get(reverse("judging:scorecard-export")).status_code == 403


def test_a_user_without_a_role_sees_no_scorecard(client, judged_night):
    client.force_login(UserFactory(roles=[]))
    assert client.get(reverse("judging:scorecard-detail", args=[judged_night.p2.code])).status_code == 404
    assert client.get(reverse("judging:scorecard-list")).status_code == 403


def test_the_comparison_and_queue_pages_cost_the_same_queries_whatever_the_rows(client, judged_night):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from judging.models import Scorecard

    client.force_login(UserFactory(roles=["platform_admin"]))

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    url = reverse("judging:scorecard-list")
    few = count(url)
    template = Scorecard.objects.filter(day=judged_night.day).first()
    for partner in [PartnerFactory() for _ in range(15)]:
        Scorecard.objects.create(
            partner=partner,
            day=template.day,
            run=template.run,
            window_days=90,
            currency="CNY",
            state="active",
            tier_code="registered",
        )
    assert count(url) == few
