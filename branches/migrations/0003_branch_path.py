from django.db import migrations, models


def fill_paths(apps, schema_editor):
    """Every branch's materialised path, root first ("/jiangsu/nanjing/")."""
    Branch = apps.get_model("branches", "Branch")
    parents = dict(Branch.objects.values_list("pk", "parent_id"))
    codes = dict(Branch.objects.values_list("pk", "code"))

    def path(pk):
        chain = []
        while pk is not None:
            chain.append(codes[pk])
            pk = parents[pk]
        return "/" + "/".join(reversed(chain)) + "/"

    for pk in parents:
        Branch.objects.filter(pk=pk).update(path=path(pk))


class Migration(migrations.Migration):
    dependencies = [("branches", "0002_figure_imports")]

    operations = [
        migrations.AddField(
            model_name="branch",
            name="path",
            field=models.CharField(default="", editable=False, max_length=255, verbose_name="机构路径"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="branch",
            name="path",
            field=models.CharField(db_index=True, editable=False, max_length=255, verbose_name="机构路径"),
        ),
        migrations.AlterField(
            model_name="branch",
            name="level",
            field=models.CharField(
                choices=[("head_office", "总公司"), ("province", "省分公司"), ("prefecture", "中心支公司"), ("county", "支公司")],
                max_length=20, verbose_name="层级",
            ),
        ),
    ]
