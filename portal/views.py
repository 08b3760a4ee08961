"""Pages that show several apps at once: the dashboard (the organization's headline counts, the
ledger's user-paid value); the scoring and payout panels join it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ledger.ui_selectors import ecosystem_daily_value
from orgs import selectors
from orgs.models import Partner


@login_required
def dashboard(request):
    summary = selectors.dashboard_summary(user=request.user)
    partner_states = {
        "labels": [str(label) for _value, label in Partner.State.choices],
        "values": [summary["partners_by_state"].get(value, 0) for value, _label in Partner.State.choices],
    }
    return render(
        request,
        "portal/dashboard.html",
        {"summary": summary, "daily_value": ecosystem_daily_value(days=30), "partner_states": partner_states},
    )
