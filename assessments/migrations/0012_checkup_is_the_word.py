"""One word in code for a check-up: the model Assessment is now Checkup.

Only names in Django's state change: the tables and the columns keep their names
(``db_table``, ``db_column``), so no data moves.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0011_model_names")]

    operations = [
        migrations.AlterModelTable(name="assessment", table="assessments_assessment"),
        migrations.AlterModelTable(name="assessmentrevision", table="assessments_assessmentrevision"),
        migrations.RenameModel(old_name="Assessment", new_name="Checkup"),
        migrations.RenameModel(old_name="AssessmentRevision", new_name="CheckupRevision"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="answer", old_name="assessment", new_name="checkup"),
                migrations.AlterField(
                    model_name="answer",
                    name="checkup",
                    field=models.ForeignKey(
                        "assessments.checkup",
                        db_column="assessment_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                    ),
                ),
            ]
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="checkuprevision", old_name="assessment", new_name="checkup"),
                migrations.AlterField(
                    model_name="checkuprevision",
                    name="checkup",
                    field=models.ForeignKey(
                        "assessments.checkup",
                        db_column="assessment_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                    ),
                ),
            ]
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="actionitem", old_name="assessment", new_name="checkup"),
                migrations.AlterField(
                    model_name="actionitem",
                    name="checkup",
                    field=models.ForeignKey(
                        "assessments.checkup",
                        db_column="assessment_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="action_items",
                        null=True,
                        blank=True,
                    ),
                ),
            ]
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="checkupnudge", old_name="assessment", new_name="checkup"),
                migrations.AlterField(
                    model_name="checkupnudge",
                    name="checkup",
                    field=models.ForeignKey(
                        "assessments.checkup",
                        db_column="assessment_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="nudges",
                    ),
                ),
            ]
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(model_name="reminder", old_name="assessment", new_name="checkup"),
                migrations.AlterField(
                    model_name="reminder",
                    name="checkup",
                    field=models.ForeignKey(
                        "assessments.checkup",
                        db_column="assessment_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reminders",
                    ),
                ),
            ]
        ),
    ]
