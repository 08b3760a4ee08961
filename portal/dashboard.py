"""The dashboard's panels: one list, each panel with who it is for and what it reads.

Each role sees its own work first: the panels are shown in the order of `PANELS`, and the
ecosystem overview (counts and charts) comes last. Apps add a panel here: a template under
templates/portal/panels/ and a `Panel` whose `shows(user)` decides who sees it and whose
`context(user)` reads (through the apps' selectors) what it shows, in a fixed number of queries
whatever the data.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from bids import selectors as bids_selectors
from ledger import selectors as ledger_selectors
from ledger import ui_selectors
from ledger.models import Contract, ImportBatch
from orgs import selectors
from orgs.models import Microenterprise, Partner, PartnerProposal
from orgs.roles import Role, user_roles

# rows a panel lists before it links to the full page
PANEL_ROWS = 5


@dataclass(frozen=True)
class Panel:
    key: str  # the panel's data-testid: "panel-<key>"
    template: str
    shows: Callable  # user -> bool
    context: Callable  # user -> dict


def _has_role(*codes):
    return lambda user: bool(user_roles(user) & set(codes))


# --- partner user ----------------------------------------------------------------------------


def _partner_context(user) -> dict:
    partner = selectors.partner_of_user(user=user)
    if partner is None:
        return {"partner": None}
    return {
        "partner": partner,
        "timeline": list(selectors.partner_timeline(partner=partner)[:PANEL_ROWS]),
        "participations": list(selectors.partner_participations(partner=partner)),
    }


# --- ME leader -------------------------------------------------------------------------------


def _led_mes(user) -> list[Microenterprise]:
    if not hasattr(user, "_dashboard_led_mes"):
        user._dashboard_led_mes = list(
            Microenterprise.objects.filter(leader=user, status__in=Microenterprise.LIVE_STATUSES).order_by(
                "code"
            )
        )
    return user._dashboard_led_mes


def _leads_an_me(user) -> bool:
    return (
        user.has_perm("ledger.log_value_any") and Role.ME_LEADER in user_roles(user) and bool(_led_mes(user))
    )


def _leader_context(user) -> dict:
    on = timezone.localdate()
    return {
        "led": [
            {"me": me, "progress": ui_selectors.me_contracts_and_progress(me=me, on=on)}
            for me in _led_mes(user)
        ]
    }


# --- ME member -------------------------------------------------------------------------------


def _member_context(user) -> dict:
    return {"cards": ui_selectors.me_cards(user=user, as_of=timezone.localdate())}


# --- finance ---------------------------------------------------------------------------------


def _finance_context(user) -> dict:
    return {
        "balances": ledger_selectors.balances_by_kind(),
        "imports_waiting": list(
            # validated and waiting to be posted; a failed import has nothing to review
            ImportBatch.objects.filter(status=ImportBatch.Status.VALIDATED)
            .select_related("created_by")
            .order_by("-pk")[:PANEL_ROWS]
        ),
        "drafts": _draft_contracts(),
    }


def _draft_contracts() -> list[Contract]:
    return list(
        Contract.objects.filter(status=Contract.Status.DRAFT)
        .select_related("emc")
        .order_by("-pk")[:PANEL_ROWS]
    )


# --- platform admin --------------------------------------------------------------------------


def _admin_context(user) -> dict:
    applied = Partner.objects.filter(state=Partner.State.APPLIED)
    proposals = selectors.proposal_list().filter(status=PartnerProposal.Status.OPEN).order_by("-pk")
    return {
        "applications": list(applied.order_by("applied_on", "pk")[:PANEL_ROWS]),
        "applications_count": applied.count(),
        "proposals": list(proposals[:PANEL_ROWS]),
        "proposals_count": proposals.count(),
        "drafts": _draft_contracts(),
    }


def _orders_context(user) -> dict:
    """Open orders, nearest deadline first, with their live bids (two queries)."""
    orders = bids_selectors.open_orders(viewer=user)
    return {"orders": list(orders[:PANEL_ROWS]), "orders_count": orders.count()}


# --- everyone of the company -----------------------------------------------------------------


def _overview_context(user) -> dict:
    summary = selectors.dashboard_summary(user=user)
    return {
        "summary": summary,
        "daily_value": ui_selectors.ecosystem_daily_value(days=30),
        "partner_states": {
            "labels": [str(label) for _value, label in Partner.State.choices],
            "values": [summary["partners_by_state"].get(value, 0) for value, _label in Partner.State.choices],
        },
    }


PANELS: list[Panel] = [
    Panel("partner", "portal/panels/partner.html", _has_role(Role.PARTNER), _partner_context),
    Panel("leader", "portal/panels/leader.html", _leads_an_me, _leader_context),
    Panel("admin", "portal/panels/admin.html", _has_role(Role.PLATFORM_ADMIN), _admin_context),
    Panel("orders", "portal/panels/orders.html", _has_role(Role.PLATFORM_ADMIN), _orders_context),
    Panel("finance", "portal/panels/finance.html", _has_role(Role.FINANCE), _finance_context),
    Panel("member", "portal/panels/member.html", _has_role(Role.ME_MEMBER, Role.ME_LEADER), _member_context),
    Panel(
        "overview", "portal/panels/overview.html", lambda user: user.has_perm("orgs.view"), _overview_context
    ),
]


def panels_for(user) -> list[dict]:
    """The panels the user sees, in order, each with its template and context."""
    return [
        {"key": panel.key, "template": panel.template, "data": panel.context(user)}
        for panel in PANELS
        if panel.shows(user)
    ]
