"""The grid summaries split by category. On a database with requests, the summary state is
reset so the next refresh (the periodic task, or the first dashboard view) rebuilds every day
and fills these tables too; until then a category's view would read them empty."""

import django.db.models.deletion
from django.db import migrations, models


def rebuild_on_next_refresh(apps, schema_editor):
    SummaryState = apps.get_model("dashboards", "SummaryState")
    SummaryState.objects.update(refreshed_up_to=None, refreshed_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0005_grid_period_summary'),
        ('grids', '0003_building_search_key'),
        ('resident_requests', '0020_phone_last4_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='GridDayCategorySummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received', models.PositiveIntegerField(default=0)),
                ('valid', models.PositiveIntegerField(default=0)),
                ('accepted', models.PositiveIntegerField(default=0)),
                ('resolved', models.PositiveIntegerField(default=0)),
                ('closed', models.PositiveIntegerField(default=0)),
                ('on_time', models.PositiveIntegerField(default=0)),
                ('resolved_late', models.PositiveIntegerField(default=0)),
                ('accept_time', models.DurationField(null=True)),
                ('resolve_time', models.DurationField(null=True)),
                ('rated', models.PositiveIntegerField(default=0)),
                ('satisfied', models.PositiveIntegerField(default=0)),
                ('level_community', models.PositiveIntegerField(default=0)),
                ('level_street', models.PositiveIntegerField(default=0)),
                ('level_department', models.PositiveIntegerField(default=0)),
                ('channel_web', models.PositiveIntegerField(default=0)),
                ('channel_walk_in', models.PositiveIntegerField(default=0)),
                ('channel_patrol', models.PositiveIntegerField(default=0)),
                ('channel_phone', models.PositiveIntegerField(default=0)),
                ('channel_reception_day', models.PositiveIntegerField(default=0)),
                ('day', models.DateField(verbose_name='day received')),
                ('category', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='resident_requests.category', verbose_name='category')),
                ('grid', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grids.grid', verbose_name='grid')),
            ],
            options={
                'verbose_name': 'daily request summary by category',
                'verbose_name_plural': 'daily request summaries by category',
                'indexes': [models.Index(fields=['category', 'day', 'grid'], name='dash_griddaycat_idx')],
                'constraints': [models.UniqueConstraint(fields=('day', 'grid', 'category'), name='dash_griddaycat_once')],
            },
        ),
        migrations.CreateModel(
            name='GridPeriodCategorySummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received', models.PositiveIntegerField(default=0)),
                ('valid', models.PositiveIntegerField(default=0)),
                ('accepted', models.PositiveIntegerField(default=0)),
                ('resolved', models.PositiveIntegerField(default=0)),
                ('closed', models.PositiveIntegerField(default=0)),
                ('on_time', models.PositiveIntegerField(default=0)),
                ('resolved_late', models.PositiveIntegerField(default=0)),
                ('accept_time', models.DurationField(null=True)),
                ('resolve_time', models.DurationField(null=True)),
                ('rated', models.PositiveIntegerField(default=0)),
                ('satisfied', models.PositiveIntegerField(default=0)),
                ('level_community', models.PositiveIntegerField(default=0)),
                ('level_street', models.PositiveIntegerField(default=0)),
                ('level_department', models.PositiveIntegerField(default=0)),
                ('channel_web', models.PositiveIntegerField(default=0)),
                ('channel_walk_in', models.PositiveIntegerField(default=0)),
                ('channel_patrol', models.PositiveIntegerField(default=0)),
                ('channel_phone', models.PositiveIntegerField(default=0)),
                ('channel_reception_day', models.PositiveIntegerField(default=0)),
                ('period', models.CharField(choices=[('week', 'week (Monday to Sunday)'), ('month', 'calendar month')], max_length=5, verbose_name='period')),
                ('start', models.DateField(verbose_name='first day of the period')),
                ('category', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='resident_requests.category', verbose_name='category')),
                ('grid', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grids.grid', verbose_name='grid')),
            ],
            options={
                'verbose_name': 'weekly or monthly request summary by category',
                'verbose_name_plural': 'weekly and monthly request summaries by category',
                'indexes': [models.Index(fields=['category', 'period', 'start', 'grid'], name='dash_gridperiodcat_idx')],
                'constraints': [models.UniqueConstraint(fields=('period', 'start', 'grid', 'category'), name='dash_gridperiodcat_once')],
            },
        ),
        migrations.RunPython(rebuild_on_next_refresh, migrations.RunPython.noop),
    ]
