"""Load statutory holidays (on weekdays) and 调休 working weekends from chinese-calendar.

Only exceptions to the Monday–Friday week are stored; later years are added by hand or with
``dangjian calendar_import --year N`` once the State Council publishes them.
"""

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def load(apps, schema_editor):
    import chinese_calendar.constants as cc

    CalendarDay = apps.get_model("core", "CalendarDay")
    rows = [
        CalendarDay(
            date=d, kind="holiday", name=NAMES.get(str(n), str(n)), source="chinese-calendar"
        )
        for d, n in cc.holidays.items()
        if d.weekday() < 5
    ] + [
        CalendarDay(
            date=d, kind="workday", name=NAMES.get(str(n), str(n)), source="chinese-calendar"
        )
        for d, n in cc.workdays.items()
        if d.weekday() >= 5
    ]
    CalendarDay.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def unload(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(source="chinese-calendar").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
