from django.urls import path

from kpi.api import figures, simulations, views

urlpatterns = [
    path("schemes/", views.SchemeListApi.as_view(), name="api-schemes"),
    path("league/", views.LeagueApi.as_view(), name="api-league"),
    path("league/cells/", views.LeagueCellApi.as_view(), name="api-league-cell"),
    path("figures/", figures.FiguresApi.as_view(), name="api-figures"),
    path("simulations/", simulations.SimulationApi.as_view(), name="api-simulations"),
]
