"""Small helpers shared by the ledger's web views."""

import datetime as dt
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.dateparse import parse_date

PAGE_SIZE = 50


def rule_required(perm: str):
    """Log in, then require the global rule `perm` (object-level checks are done in the view)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def paginate(request, items, *, per_page: int = PAGE_SIZE):
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def date_param(value, default: dt.date | None = None) -> dt.date | None:
    """A YYYY-MM-DD query value, or `default` when absent or malformed."""
    try:
        return parse_date(value or "") or default
    except ValueError:
        return default


def event_url(event) -> str:
    """Where an event is shown: its row in its ME's ledger, highlighted."""
    base = reverse("ledger:me-ledger", args=[event.me.code])
    return f"{base}?highlight={event.pk}#event-{event.pk}"
