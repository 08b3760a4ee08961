"""REST API of judging: the ME matrix (more to come: scorecards, proposals)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.permissions import HasRulePermission
from config.values import date_parse
from judging import selectors


class MatrixView(APIView):
    """The ME evaluation matrix of a date: each ME's axes (% of target), quadrant, path, and
    whether it moved quadrant since the period before."""

    permission_classes = [HasRulePermission]
    permission_required = "judging.compare"

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=False),
            OpenApiParameter("emc", OpenApiTypes.STR, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        raw = request.query_params.get("date")
        day = date_parse(raw, field="date") if raw else None  # a bad date answers 400 by field
        return Response(selectors.matrix(day=day, emc_code=request.query_params.get("emc", "")))
