"""The main menu: one list of entries, each with the rule that shows it.

An entry is shown when its rule lets the user in (the same rule the page itself checks), so the
menu never offers a page that answers 403. Apps add their pages here: a `MenuEntry` in `MENU`
(in the `group` of a dropdown, or top level without one). The order of `MENU` is the order
on screen; the groups appear where their first entry is.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuGroup:
    key: str  # its data-testid: "menu-<key>"
    label: str | Promise


@dataclass(frozen=True)
class MenuEntry:
    key: str  # stable name, the entry's data-testid: "menu-<key>"
    label: str | Promise
    url_name: str = ""  # reversed without arguments
    perm: str = ""  # a global rule (orgs/rules.py); "" = every logged-in user
    group: MenuGroup | None = None  # the dropdown it sits in; None = top level
    # for entries a rule name cannot say: user -> URL (or None to hide the entry)
    url_for: Callable | None = None
    staff_only: bool = False  # Django's is_staff (the Django admin)
    # a condition beyond the rule, asked only when the rule lets the user in: user -> bool
    when: Callable | None = None

    def url(self, user) -> str | None:
        if self.staff_only and not user.is_staff:
            return None
        if self.perm and not user.has_perm(self.perm):
            return None
        if self.when is not None and not self.when(user):
            return None
        if self.url_for is not None:
            return self.url_for(user)
        try:
            return reverse(self.url_name)
        except NoReverseMatch:  # an app that is not installed
            return None


def _has_loggable_me(user) -> bool:
    """The log form refuses a leader who leads no live ME: one query, for leaders and admins."""
    from ledger.ui_selectors import loggable_mes

    return loggable_mes(user=user).exists()


def _payouts_url(user) -> str | None:
    try:
        return reverse(
            "payouts:report-list" if user.has_perm("payouts.view_reports") else "payouts:statement"
        )
    except NoReverseMatch:  # payouts not installed
        return None


def _is_partner_user(user) -> bool:
    """A partner user linked to its partner (the page shows that partner's own figures)."""
    from orgs.rules import is_partner_user
    from orgs.selectors import partner_of_user

    return is_partner_user(user) and partner_of_user(user=user) is not None


ORGANIZATION = MenuGroup("organization", _("Organization"))
PARTNERS = MenuGroup("partners-menu", _("Partners"))
SCORING = MenuGroup("scoring-menu", _("Scoring"))
ORDERS = MenuGroup("orders-menu", _("Orders"))

MENU: list[MenuEntry] = [
    MenuEntry("dashboard", _("Dashboard"), "portal:dashboard"),
    MenuEntry("mes", _("Microenterprises"), "orgs:me-list", "orgs.view", ORGANIZATION),
    MenuEntry("emcs", _("EMCs"), "orgs:emc-list", "orgs.view", ORGANIZATION),
    MenuEntry("network", _("Network graph"), "orgs:network", "orgs.view", ORGANIZATION),
    MenuEntry("catalog", _("Scenarios and categories"), "orgs:catalog", "orgs.view", ORGANIZATION),
    MenuEntry("me-create", _("New microenterprise"), "orgs:me-create", "orgs.manage", ORGANIZATION),
    MenuEntry("emc-create", _("New EMC"), "orgs:emc-create", "orgs.manage", ORGANIZATION),
    MenuEntry("audit", _("Audit trail"), "orgs:audit-list", "orgs.view_audit", ORGANIZATION),
    MenuEntry("tokens", _("API tokens"), "orgs:token-list", "orgs.manage_tokens", ORGANIZATION),
    MenuEntry("partners", _("Partner directory"), "orgs:partner-list", "orgs.view", PARTNERS),
    MenuEntry("applications", _("Applications"), "orgs:application-queue", "orgs.manage_partners", PARTNERS),
    MenuEntry("scorecards", _("Scorecards"), "judging:scorecard-list", "judging.compare", PARTNERS),
    MenuEntry("proposals", _("Proposals"), "judging:proposal-queue", "judging.view_proposals", PARTNERS),
    # a partner user's own scorecard, proposals and messages
    MenuEntry("mine", _("Our scorecard and messages"), "judging:partner-mine", when=_is_partner_user),
    MenuEntry("orders", _("Orders for bids"), "bids:order-list", "bids.view", ORDERS),
    MenuEntry("order-create", _("Put an order out"), "bids:order-create", "bids.manage", ORDERS),
    MenuEntry("ledger", _("Ledger"), "ledger:home", "ledger.view"),
    MenuEntry("statements", _("Value-added statements"), "judging:statement-home", "judging.view_statements"),
    MenuEntry(
        "log-value", _("Log user value"), "ledger:log-value", "ledger.log_value_any", when=_has_loggable_me
    ),
    MenuEntry("scoring", _("Brand index"), "scoring:dashboard", "scoring.view", SCORING),
    MenuEntry("runs", _("Nightly runs"), "scoring:run-list", "scoring.view", SCORING),
    MenuEntry("payouts", _("Payouts"), perm="payouts.view_statement", url_for=_payouts_url),
    MenuEntry("api", _("API"), "api-docs"),
    MenuEntry("admin", _("Admin"), "admin:index", staff_only=True),
]


def menu_for(user, *, path: str = "") -> list[dict]:
    """The menu a user sees: top-level items, each a link or a group with its links."""
    items: list[dict] = []
    groups: dict[str, dict] = {}
    for entry in MENU:
        url = entry.url(user)
        if url is None:
            continue
        link = {"key": entry.key, "label": entry.label, "url": url, "active": url == path}
        if entry.group is None:
            items.append(link)
            continue
        group = groups.get(entry.group.key)
        if group is None:
            group = groups[entry.group.key] = {
                "key": entry.group.key,
                "label": entry.group.label,
                "links": [],
                "active": False,
            }
            items.append(group)
        group["links"].append(link)
        group["active"] = group["active"] or link["active"]
    return items
