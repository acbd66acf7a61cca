"""Routes of the figures import; appended to kpi.urls (namespace "kpi")."""

from django.urls import path

from kpi.imports import views

urlpatterns = [
    path("imports/", views.import_index, name="imports"),
    path("imports/template/", views.import_template, name="import-template"),
    path("imports/<uuid:pk>/", views.import_batch, name="import-batch"),
    path("imports/<uuid:pk>/progress/", views.import_progress, name="import-progress"),
    path("imports/<uuid:pk>/apply/", views.import_apply, name="import-apply"),
    path("imports/<uuid:pk>/errors.xlsx", views.import_errors, name="import-errors"),
    path("imports/<uuid:pk>/alias/", views.import_alias, name="import-alias"),
]
