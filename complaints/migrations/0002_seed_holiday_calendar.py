"""Seed the holiday calendar with the years chinesecalendar knows (statutory holidays and make-up working days)."""

from django.db import migrations


def seed(apps, schema_editor):
    from complaints.workdays import chinesecalendar_rows, chinesecalendar_years

    CalendarYear = apps.get_model("complaints", "CalendarYear")
    CalendarDay = apps.get_model("complaints", "CalendarDay")
    entered = set(CalendarYear.objects.values_list("year", flat=True))
    years = [y for y in chinesecalendar_years() if y not in entered]
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, kind=kind, name=name) for y in years for d, kind, name in chinesecalendar_rows(y)],
        ignore_conflicts=True,
    )
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source="chinesecalendar", notice="chinesecalendar") for y in years])


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
