from django.urls import path

from kpi.api import simulations, views

urlpatterns = [
    path("schemes/", views.SchemeListApi.as_view(), name="api-schemes"),
    path("league/", views.LeagueApi.as_view(), name="api-league"),
    path("simulations/", simulations.SimulationApi.as_view(), name="api-simulations"),
]
