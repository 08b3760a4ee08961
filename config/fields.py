"""The rules of `config.values` as API serializer fields and web form fields.

Every input serializer and form of the apps declares its values with these, so the API, the
forms and the CSV rows (which call `config.values` directly) read a value the same way. The
API schema states each rule (type, bounds, pattern, length), so what it documents is what
the server accepts.
"""

import re

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import values

MONEY_PATTERN = r"^[0-9]+(\.[0-9]+)?$"


def _drf(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError([m for msgs in exc.message_dict.values() for m in msgs])


def _form(exc: DjangoValidationError) -> forms.ValidationError:
    return forms.ValidationError([m for msgs in exc.message_dict.values() for m in msgs])


# --- API (DRF) ------------------------------------------------------------------------------


class IntegerField(serializers.IntegerField):
    """A JSON integer inside [min_value, max_value] (default: the 64-bit range)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", values.INT64_MIN)
        kwargs.setdefault("max_value", values.INT64_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):  # a JSON body carries numbers as numbers
            self.fail("invalid")
        try:
            return values.integer_parse(data, field="value", min_value=None, max_value=None)
        except DjangoValidationError:
            self.fail("invalid")


class MinorUnitsField(IntegerField):
    """An amount in minor units (a baseline, a target, a cap): 0 to MINOR_UNITS_MAX."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", values.MINOR_UNITS_MAX)
        super().__init__(**kwargs)


class BooleanField(serializers.BooleanField):
    """true or false: a JSON boolean; with `text=True` (multipart forms) also its text forms."""

    def __init__(self, *, text: bool = False, **kwargs):
        self.text = text
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if self.text and isinstance(data, str):
            try:
                return values.boolean_parse(data, field="value")
            except DjangoValidationError:
                pass
        self.fail("invalid", input=data)


@extend_schema_field({"type": "string", "pattern": MONEY_PATTERN, "example": "199.00"})
class MoneyTextField(serializers.CharField):
    """Money in major units as decimal text ("199.00"); a JSON number is refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            values.decimal_text_parse(data, field="value")
        except DjangoValidationError as exc:
            raise _drf(exc) from None
        return data.strip()


@extend_schema_field({"type": "string", "pattern": MONEY_PATTERN, "example": "50.00"})
class DecimalTextField(serializers.Field):
    """A decimal number as decimal text ("12.5"), within the digits its field stores; a JSON
    number and an exponent are refused (the rule money follows). Gives a Decimal."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            number = values.decimal_text_parse(data, field="value")
            return values.decimal_digits_check(
                number, field="value", max_digits=self.max_digits, decimal_places=self.decimal_places
            )
        except DjangoValidationError as exc:
            raise _drf(exc) from None

    def to_representation(self, value):
        return str(value)


class TextField(serializers.CharField):
    """Text within `max_length` (required), trimmed, without control characters (line breaks
    only with `multiline`)."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip() if self.trim_whitespace else data
        problem = values.text_problem(text, max_length=self.max_length, multiline=self.multiline)
        if problem:
            raise serializers.ValidationError(problem)
        return text


class TimestampField(serializers.DateTimeField):
    """ISO 8601 with its zone offset; a time without a zone is refused."""

    def to_internal_value(self, value):
        try:
            return values.timestamp_parse(value, field="value")
        except DjangoValidationError as exc:
            raise _drf(exc) from None


class DateField(serializers.DateField):
    """ISO 8601 date from DATE_MIN to DATE_MAX."""

    def to_internal_value(self, value):
        try:
            return values.date_parse(value, field="value")
        except DjangoValidationError as exc:
            raise _drf(exc) from None


class CurrencyField(serializers.CharField):
    """An ISO 4217 code of real money (orgs.currencies gives the rule; this checks its shape)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).upper()


CODE_PATTERN = r"^[-a-zA-Z0-9_]+$"
USERNAME_PATTERN = r"^[\w.@+-]+$"


@extend_schema_field({"type": "string", "pattern": CODE_PATTERN, "maxLength": 50})
class CodeRelatedField(serializers.SlugRelatedField):
    """An object named by its code (a slug of at most 50 characters): a value that cannot be a
    code is refused as such before any query."""

    pattern, max_length = re.compile(CODE_PATTERN), 50

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > self.max_length or not self.pattern.match(data):
            raise serializers.ValidationError(
                _("Give a code: at most %(max)d letters, digits, - and _.") % {"max": self.max_length}
            )
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": USERNAME_PATTERN, "maxLength": 150})
class UsernameRelatedField(CodeRelatedField):
    """A user named by username (Django's rule: letters, digits and @.+-_, at most 150)."""

    pattern, max_length = re.compile(USERNAME_PATTERN), 150


# --- web forms ------------------------------------------------------------------------------


class MoneyFormField(forms.CharField):
    """Money in major units as the decimal text the rule reads (no exponent, no other digits)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return text
        try:
            return values.decimal_text_parse(text, field="value")
        except DjangoValidationError as exc:
            raise _form(exc) from None


class DecimalTextFormField(forms.CharField):
    """A decimal number as decimal text, within `max_digits` / `decimal_places` (no exponent)."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            number = values.decimal_text_parse(text, field="value")
            return values.decimal_digits_check(
                number, field="value", max_digits=self.max_digits, decimal_places=self.decimal_places
            )
        except DjangoValidationError as exc:
            raise _form(exc) from None


class TextFormField(forms.CharField):
    """Text within max_length, without control characters (line breaks with `multiline`)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        problem = values.text_problem(
            text or "", max_length=self.max_length or 10**9, multiline=self.multiline
        )
        if problem:
            raise forms.ValidationError(problem)
        return text


class DateFormField(forms.DateField):
    """A date from DATE_MIN to DATE_MAX."""

    def clean(self, value):
        day = super().clean(value)
        if day is None:
            return day
        try:
            return values.date_parse(day, field="value")
        except DjangoValidationError as exc:
            raise _form(exc) from None
