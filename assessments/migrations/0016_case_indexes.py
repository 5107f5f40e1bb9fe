"""A trigram index on partner names, for the partner search of the Cases inbox (and the dashboard's).

``partner__name__icontains`` is ``UPPER(name) LIKE UPPER('%…%')``, which no
B-tree index serves: at 10,000 partners PostgreSQL read every partner twice per
searched inbox view (the page and its state counts), about 2.5 ms each
(bench/cases.py). A GIN index of the upper-cased name's trigrams answers it
from the index for any search of three characters or more.

PostgreSQL only, like the triggers of 0010: SQLite serves development and has
no trigram index. ``pg_trgm`` ships with PostgreSQL and is a trusted extension
(13+), so the database's owner may create it; where it cannot be created the
index is left out (the search still works, only slower) and the reason logged.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEX = "partner_name_trgm_idx"
# The expression must be the one Django's icontains compares: UPPER("name"::text).
CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {INDEX} ON assessments_partner USING gin ((UPPER(name::text)) gin_trgm_ops)"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning("pg_trgm is not available (%s); partner search works without its index", error)
        return
    schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    # The extension stays: something else may use it, and it costs nothing unused.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0015_case_history"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
