"""A run's cells move from one IndicatorScore row each into their branch score (BranchScore.cells): a national run
writes ~4,500 rows instead of ~77,000. Every stored cell is carried over exactly, with the explanation of a run
written before runs stopped storing them; backwards, the rows are made again from the lists."""

from django.db import migrations, models

BATCH = 2_000


def _text(value):
    return None if value is None else str(value)


def cells_into_branch_scores(apps, schema_editor):
    BranchScore = apps.get_model("kpi", "BranchScore")
    IndicatorScore = apps.get_model("kpi", "IndicatorScore")
    ids = list(BranchScore.objects.filter(indicator_scores__isnull=False).distinct().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows: dict[int, list] = {pk: [] for pk in chunk}
        fields = ("branch_score_id", "indicator_code", "value", "value2", "previous", "target", "points", "explanation")
        for score_id, code, *numbers, explanation in IndicatorScore.objects.filter(branch_score_id__in=chunk).order_by("pk").values_list(*fields):
            rows[score_id].append([code, *map(_text, numbers), *([explanation] if explanation else [])])
        scores = list(BranchScore.objects.filter(pk__in=chunk))
        for score in scores:
            score.cells = rows[score.pk]
        BranchScore.objects.bulk_update(scores, ["cells"], batch_size=500)


def cells_into_rows(apps, schema_editor):
    BranchScore = apps.get_model("kpi", "BranchScore")
    IndicatorScore = apps.get_model("kpi", "IndicatorScore")
    for score_id, cells in BranchScore.objects.order_by("pk").values_list("pk", "cells").iterator(chunk_size=BATCH):
        IndicatorScore.objects.bulk_create(
            IndicatorScore(branch_score_id=score_id, indicator_code=code, value=value, value2=value2, previous=previous,
                           target=target, points=points, explanation=rest[0] if rest else {})
            for code, value, value2, previous, target, points, *rest in cells
        )


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0008_recompute_request_branches"),
    ]

    operations = [
        migrations.AddField(
            model_name="branchscore",
            name="cells",
            field=models.JSONField(default=list, verbose_name="指标得分"),
        ),
        migrations.RunPython(cells_into_branch_scores, cells_into_rows),
        migrations.DeleteModel(
            name="IndicatorScore",
        ),
    ]
