from django.urls import path

from kpi import views
from kpi.entries import urls as entries_urls  # registers the yyyymm path converter
from kpi.imports import urls as imports_urls
from kpi.simulation import urls as simulation_urls

app_name = "kpi"
# A league table's address is made of the scheme, the window (2023-08 = 1–8月 of 2023), the revision
# (r1, r2… or live) and a branch and indicator code: each stays valid whatever is recomputed later.
urlpatterns = [
    path("", views.home, name="home"),
    path("league/", views.league_landing, name="league"),
    path("league/corrections/<slug:branch_code>/<yyyymm:month>/<slug:component_code>/", views.league_correction,
         name="league-correction"),
    path("league/<slug:scheme_code>/", views.league_landing, name="league-scheme"),
    path("league/<slug:scheme_code>/<str:window>/", views.league_latest, name="league-latest"),
    path("league/<slug:scheme_code>/<str:window>/publish/", views.league_publish, name="league-publish"),
    path("league/<slug:scheme_code>/<str:window>/<str:revision>/", views.league_window, name="league-window"),
    path("league/<slug:scheme_code>/<str:window>/<str:revision>/<slug:branch_code>/", views.league_branch,
         name="league-branch"),
    path("league/<slug:scheme_code>/<str:window>/<str:revision>/<slug:branch_code>/<slug:indicator_code>/",
         views.league_cell, name="league-cell"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

# Branch data entry, review and office scores (issue 4).
urlpatterns += entries_urls.urlpatterns

# Figures in bulk (issue 9).
urlpatterns += imports_urls.urlpatterns

# The what-if simulator (issue 11).
urlpatterns += simulation_urls.urlpatterns
