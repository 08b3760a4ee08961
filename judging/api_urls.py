from django.urls import path

from judging import api

urlpatterns = [
    path("judging/matrix/", api.MatrixView.as_view(), name="api-judging-matrix"),
]
