import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower, Trim


def lower_existing_emails(apps, schema_editor):
    """Existing accounts keep working: their e-mail is stored in lower case.

    Two accounts that differ only by case cannot be merged blindly (each may hold
    grants): the migration stops and names them so an admin decides.
    """
    User = apps.get_model("actors", "User")
    AccessRequest = apps.get_model("actors", "AccessRequest")
    seen: dict[str, str] = {}
    for email in User.objects.values_list("email", flat=True):
        key = email.strip().lower()
        if key in seen:
            raise RuntimeError(
                f"Accounts {seen[key]!r} and {email!r} differ only by letter case: "
                "merge or rename one, then migrate again."
            )
        seen[key] = email
    User.objects.update(email=Lower(Trim("email")))
    AccessRequest.objects.update(email=Lower(Trim("email")))


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0002_audit_scope"),
    ]

    operations = [
        migrations.RunPython(lower_existing_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                name="user_email_unique_any_case",
                violation_error_message="An account with this e-mail already exists.",
            ),
        ),
    ]
