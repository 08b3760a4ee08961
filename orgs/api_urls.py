from django.urls import path

from orgs import api

urlpatterns = [
    path("me/", api.WhoAmIView.as_view(), name="api-whoami"),
]
