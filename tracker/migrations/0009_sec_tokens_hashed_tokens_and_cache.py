"""Hashed API tokens and the shared cache.

The API's tokens were stored in plain text (Django REST framework's authtoken table). They are
replaced by hashed, expiring tokens (django-rest-knox): the old table and every token in it go,
so no copy of the database or backup holds a usable token. Users get a new token with
`manage.py api_token <username>`.

The cache table (settings.CACHES, shared by every app server process: write rate limits,
charts) is created here, so `migrate` is the only step a deployment needs.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0008_sec_auth_account_events"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
