"""Action items become first-class: a user as owner, linked rubric items, who and when, reminders.

The free-text owner is carried over to a user (docs/ACTIONS.md, "Upgrading"):

1. an owner of the partner, or a leadership user, whose username, e-mail or
   full name is the text (spaces and case ignored); the partner's owners first;
2. else the one such user whose first name is the text ("Ana");
3. else the partner's first owner (the one added first), then the check-up's
   rater, then whoever marked it done, then the first leadership user, the
   first superuser, the first user. The text is kept in the action's note:
   ``Owner first recorded as "…".``

Existing actions were agreed in a check-up, so their baseline quarter is the
quarter they were agreed in, their author the check-up's rater, and their
creation time the check-up's submission (else its last save or opening; the
first day of the quarter for an action without a check-up).
"""

import datetime as dt

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LEADERSHIP_GROUP = "leadership"
NOTE_PREFIX = "Owner first recorded as "


def _norm(text) -> str:
    return " ".join((text or "").split()).casefold()


def _full_name(user) -> str:
    return _norm(f"{user.first_name} {user.last_name}")


def _owner_for(text, candidates, fallbacks):
    """(user, matched) for one free-text owner; candidates are ordered, owners of the partner first."""
    wanted = _norm(text)
    if wanted:
        for user in candidates:
            if wanted in {_norm(user.username), _norm(user.email), _full_name(user)} - {""}:
                return user, True
        by_first_name = [user for user in candidates if _norm(user.first_name) == wanted]
        if len(by_first_name) == 1:
            return by_first_name[0], True
    for user in fallbacks:
        if user is not None:
            return user, False
    return None, False


def carry_over(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Check foreign keys row by row, so the ALTER TABLEs after this step find no pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ActionItem = apps.get_model("assessments", "ActionItem")
    Partner = apps.get_model("assessments", "Partner")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    users = {user.pk: user for user in User.objects.all()}
    leader_ids = User.objects.filter(groups__name=LEADERSHIP_GROUP).order_by("pk").values_list("pk", flat=True)
    leaders = [users[pk] for pk in leader_ids]
    superusers = [user for user in users.values() if user.is_superuser]
    first_user = min(users.values(), key=lambda user: user.pk, default=None)
    owners: dict[int, list] = {}
    for partner_id, user_id in Partner.owners.through.objects.order_by("pk").values_list("partner_id", "user_id"):
        owners.setdefault(partner_id, []).append(users[user_id])

    rows = list(ActionItem.objects.select_related("assessment", "period").order_by("pk"))
    for row in rows:
        partner_owners = owners.get(row.partner_id, [])
        candidates = partner_owners + [leader for leader in leaders if leader not in partner_owners]
        assessment = row.assessment
        fallbacks = [
            partner_owners[0] if partner_owners else None,
            users.get(assessment.rater_id) if assessment else None,
            users.get(row.done_by_id),
            leaders[0] if leaders else None,
            superusers[0] if superusers else None,
            first_user,
        ]
        user, matched = _owner_for(row.owner_text, candidates, fallbacks)
        if user is None:
            raise RuntimeError(
                f"Action item {row.pk} needs an owner, but there is no user at all: create one and migrate again."
            )
        row.owner_id = user.pk
        if not matched and row.owner_text.strip():
            kept = f'{NOTE_PREFIX}"{row.owner_text.strip()}".'
            row.note = f"{row.note}\n{kept}".strip() if row.note else kept
        row.baseline_period_id = row.period_id
        if assessment is not None:
            row.created_by_id = assessment.rater_id
            row.created_at = assessment.submitted_at or assessment.last_saved_at or assessment.created_at
        else:
            starts = dt.datetime.combine(row.period.starts_on, dt.time())
            row.created_at = django.utils.timezone.make_aware(starts)
    ActionItem.objects.bulk_update(
        rows, ["owner", "note", "baseline_period", "created_by", "created_at"], batch_size=500
    )


def carry_back(apps, schema_editor):
    """Undo: the owner's name as text again (or the text kept in the note), the kept text out of the note."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ActionItem = apps.get_model("assessments", "ActionItem")
    rows = list(ActionItem.objects.select_related("owner").order_by("pk"))
    for row in rows:
        lines = row.note.splitlines()
        kept = [line for line in lines if line.startswith(NOTE_PREFIX)]
        if kept:
            row.owner_text = kept[-1][len(NOTE_PREFIX) :].rstrip(".").strip('"')[:120]
            row.note = "\n".join(line for line in lines if not line.startswith(NOTE_PREFIX))
        else:
            owner = row.owner
            row.owner_text = (f"{owner.first_name} {owner.last_name}".strip() or owner.username)[:120]
    ActionItem.objects.bulk_update(rows, ["owner_text", "note"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_checkup_nudges"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="actionitem", old_name="owner", new_name="owner_text"),
        migrations.AddField(
            model_name="actionitem",
            name="owner",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="action_items",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(model_name="actionitem", name="note", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="actionitem",
            name="baseline_period",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.period",
            ),
        ),
        migrations.AddField(
            model_name="actionitem",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="actionitem",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="actionitem",
            name="items",
            field=models.ManyToManyField(blank=True, related_name="action_items", to="assessments.rubricitem"),
        ),
        migrations.RunPython(carry_over, carry_back),
        # A default, so that migrating back can add the column again to a table with rows.
        migrations.AlterField(
            model_name="actionitem", name="owner_text", field=models.CharField(max_length=120, default="")
        ),
        migrations.RemoveField(model_name="actionitem", name="owner_text"),
        migrations.AlterField(
            model_name="actionitem",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="action_items",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="actionitem",
            index=models.Index(fields=["owner", "done_at", "due_on"], name="action_owner_open_idx"),
        ),
        migrations.AddIndex(
            model_name="actionitem",
            index=models.Index(fields=["done_at", "due_on"], name="action_open_due_idx"),
        ),
        migrations.CreateModel(
            name="ActionItemReminder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sent", "Sent"),
                            ("failed", "Failed (gave up)"),
                            ("skipped", "Skipped (no longer needed)"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField()),
                ("last_error", models.TextField(blank=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("kind", models.CharField(choices=[("due_soon", "Due soon"), ("overdue", "Overdue")], max_length=10)),
                ("due_on", models.DateField()),
                (
                    "action_item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reminders",
                        to="assessments.actionitem",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["status", "next_attempt_at"], name="action_reminder_due_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("action_item", "kind", "due_on", "recipient"), name="one_action_reminder_per_kind"
                    )
                ],
            },
        ),
    ]
