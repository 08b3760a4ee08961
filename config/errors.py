"""Errors that services raise; every interface maps them the same way.

Services raise Django's ValidationError for bad input (field-level when a field is to blame)
and ConflictError when the request is well-formed but clashes with the current state (an
illegal transition, a duplicate): the API answers 400 and 409, forms show both by field.
"""

from django.core.exceptions import ValidationError


class ConflictError(ValidationError):
    """The input is valid on its own but conflicts with the stored state (HTTP 409)."""
