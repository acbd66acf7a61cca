from django.urls import path

from complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("new/", views.case_create, name="case-create"),
    path("<int:pk>/", views.case_detail, name="case-detail"),
    path("<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("<int:pk>/steps/<slug:step>/", views.case_step, name="case-step"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/import/", views.calendar_upload, name="calendar-import"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar-year"),
    path("publication/", views.publication, name="publication"),
    path("indicators/", views.indicators, name="indicators"),
]
