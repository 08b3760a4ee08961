from django.urls import path

from scoring import views

app_name = "scoring"
urlpatterns = [path("runs/", views.run_list, name="run-list")]
