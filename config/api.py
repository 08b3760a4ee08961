"""API conventions set once for every endpoint: pagination and one error body.

Every error answers with the same shape::

    {"status": 400, "code": "invalid", "detail": "Some fields are not valid.",
     "errors": {"field": ["message", ...], "non_field_errors": [...]}}
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ConflictError

log = logging.getLogger(__name__)


class NumericIds:
    """A viewset mixin: `{id}` in the URL is digits, or the route does not match (404), so an id
    such as `abc` never reaches a query; past the 64-bit range it is simply not found."""

    lookup_value_regex = "[0-9]{1,19}"


class Pagination(PageNumberPagination):
    """?page=N&page_size=M (M up to 500): a page_size that is not a whole number from 1 up is a
    400, not silently the default."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        given = request.query_params.getlist(self.page_query_param)
        if given and (len(given) > 1 or not given[0]):
            raise exceptions.ValidationError(
                {"page": [_("Give one page number, or leave the parameter out.")]}
            )
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        digits = given[0].lstrip("0") if len(given) == 1 else ""
        if not (digits.isascii() and digits.isdigit()):
            raise exceptions.ValidationError({"page_size": [_("Give one whole number from 1 to 500.")]})
        if len(digits) > 6:  # past any page (and past int()'s digit limit): the largest page
            return self.max_page_size
        return min(int(digits), self.max_page_size)


def _django_errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            (field if field != "__all__" else "non_field_errors"): [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        conflict = isinstance(exc, ConflictError)
        status_code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
        errors = _django_errors(exc)
        first = next(iter(errors.values()))[0]
        return Response(
            error_body(status_code, "conflict" if conflict else "invalid", first, errors), status_code
        )
    if isinstance(exc, IntegrityError):
        # a unique key lost a race with a concurrent write (the service checked before it
        # wrote, and its transaction rolled back): a conflict, never a 500
        return Response(
            error_body(
                status.HTTP_409_CONFLICT,
                "conflict",
                _(
                    "This conflicts with a record saved at the same moment (a duplicate?). Reload and try again."
                ),
            ),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # a value the database cannot store (out of its range, a NUL byte) that slipped past the
        # parsing rules: the transaction rolled back; refuse it, and log it to close the gap
        log.warning("refused a value the database cannot store: %s", exc)
        return Response(
            error_body(
                status.HTTP_400_BAD_REQUEST, "invalid", _("A value is out of range or cannot be stored.")
            ),
            status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = error_body(response.status_code, "invalid", _("Some fields are not valid."), errors)
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else code
        response.data = error_body(response.status_code, code, str(detail))
    return response
