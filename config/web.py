"""Helpers every app's web views share: a rule-checking decorator and pagination."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

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
    """One page of `items` and the query string without `page`, for the pager links."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
