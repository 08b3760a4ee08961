"""The API's list filters, as strict as the schema: a boolean filter given a value that is not
true or false (or 1 / 0), or a typed filter (a date, a number, a choice) given an empty value, is
a 400, not silently ignored (django-filter's default). Text filters may be empty: no filter. An
id filter (a number filter on `id` or a `*_id` column) takes an id from 1 to 2^63-1, the rule
of `config.values`: past the 64-bit range the database would fail (SQLite: OverflowError)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import BooleanFilter, CharFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from config import values

BOOLEAN_TEXTS = frozenset({"true", "false", "True", "False", "1", "0"})


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors = {
                name: ["Use true or false."]
                for name, spec in filterset_class.base_filters.items()
                if isinstance(spec, BooleanFilter)
                and any(value not in BOOLEAN_TEXTS for value in request.query_params.getlist(name))
            }
            for name, spec in filterset_class.base_filters.items():
                typed = not isinstance(spec, CharFilter | BooleanFilter)
                if typed and name not in errors and "" in request.query_params.getlist(name):
                    errors[name] = ["Give a value, or leave the parameter out."]
            for name, spec in filterset_class.base_filters.items():
                is_id = isinstance(spec, NumberFilter) and (
                    spec.field_name == "id" or spec.field_name.endswith("_id")
                )
                for value in request.query_params.getlist(name) if is_id and name not in errors else []:
                    try:
                        values.object_id_parse(value, field=name)
                    except DjangoValidationError as exc:
                        errors[name] = exc.messages
                        break
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
