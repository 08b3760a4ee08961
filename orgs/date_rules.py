"""The organization's date rules: who stood where on a given day.

One place for them, used by the web pages (`orgs.selectors`), the posting engine's batch
loader (`ledger.context`) and the nightly scoring. Each rule comes in two forms that must
agree, and tests/orgs/test_date_rules.py holds them equal on random histories:

- a predicate on the plain values of rows already loaded (`*_on`), for a batch that loads
  the organization once and asks thousands of questions;
- a `Q` filter (`*_q`), for a queryset (`prefix` names the relation, e.g. "nodes__").

The rules, for a day `on`:

- an ME holds a node seat in an EMC when the seat covers the day: joined_on <= on, and
  left_on unset or after it (the day it leaves is no longer its);
- an ME is seated in an EMC (may be credited there) when it leads the EMC or holds a seat;
- a partner takes part in an EMC when its participation covers the day: started_on <= on,
  and ended_on unset or after it; it is creditable when it also is in a creditable state
  (probation, active, on watch: `Partner.CREDITABLE_STATES`);
- an EMC is open from formed_on to ended_on, both days included;
- an ME is live on the day unless it was split, merged or dissolved by then: a status out of
  `Microenterprise.LIVE_STATUSES` counts from its ended_on (from always, without a date).
"""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from orgs.models import EMCNode, Microenterprise, Partner

Span = tuple[dt.date, dt.date | None]


def seat_covers_on(joined_on: dt.date, left_on: dt.date | None, on: dt.date) -> bool:
    return joined_on <= on and (left_on is None or left_on > on)


def seat_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}joined_on__lte": on}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": on})
    )


def me_seated_on(lead_me_id: int | None, me_id: int, seats: Iterable[Span], on: dt.date) -> bool:
    """`seats`: the (joined_on, left_on) of the ME's node seats in the EMC."""
    return lead_me_id == me_id or any(seat_covers_on(joined, left, on) for joined, left in seats)


def me_seated_q(me_id: int, on: dt.date) -> Q:
    """EMCs in which the ME is seated on `on` (a filter on EMC; the seats in a subquery)."""
    seats = EMCNode.objects.filter(seat_q(on), me_id=me_id).values("emc_id")
    return Q(lead_me_id=me_id) | Q(pk__in=seats)


def participation_covers_on(started_on: dt.date, ended_on: dt.date | None, on: dt.date) -> bool:
    return started_on <= on and (ended_on is None or on < ended_on)


def participation_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})
    )


def partner_creditable_on(state: str, spans: Iterable[Span], on: dt.date) -> bool:
    """`spans`: the (started_on, ended_on) of the partner's participations in the EMC."""
    return state in Partner.CREDITABLE_STATES and any(
        participation_covers_on(started, ended, on) for started, ended in spans
    )


def partner_creditable_q(prefix: str = "") -> Q:
    """The state half of creditability (the participation half is `participation_q`)."""
    return Q(**{f"{prefix}state__in": Partner.CREDITABLE_STATES})


def emc_open_on(formed_on: dt.date, ended_on: dt.date | None, on: dt.date) -> bool:
    return formed_on <= on and (ended_on is None or on <= ended_on)


def emc_open_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}formed_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": on})
    )


def me_live_on(status: str, ended_on: dt.date | None, on: dt.date) -> bool:
    return status in Microenterprise.LIVE_STATUSES or (ended_on is not None and on < ended_on)


def me_live_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": Microenterprise.LIVE_STATUSES}) | Q(**{f"{prefix}ended_on__gt": on})
