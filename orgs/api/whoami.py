"""REST API for the organization."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orgs.roles import user_roles


class WhoAmIView(APIView):
    """The authenticated user and their roles."""

    @extend_schema(
        responses=inline_serializer(
            "WhoAmI",
            {
                "username": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request):
        return Response({"username": request.user.get_username(), "roles": sorted(user_roles(request.user))})
