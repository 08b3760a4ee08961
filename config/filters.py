"""The API's list filters, as strict as the schema: a boolean filter given a value that is not
true or false (or 1 / 0) is a 400, not silently ignored (django-filter's default)."""

from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

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
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
