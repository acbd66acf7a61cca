from django.urls import path

from kpi.api import views

urlpatterns = [
    path("schemes/", views.SchemeListApi.as_view(), name="api-schemes"),
    path("league/", views.LeagueApi.as_view(), name="api-league"),
]
