"""List stored free texts the personal-data guard would now refuse or flag.

Nothing is changed: the list goes to the local admins of each département, who
review and rewrite. Every model that declares `free_text_fields` is scanned.
"""

from collections import defaultdict

from django.apps import apps
from django.core.management.base import BaseCommand

from actors.middleware import mask_word
from actors.scope import departement_path
from lib.free_text import is_known_place
from lib.names import probable_names
from lib.pii import find_personal_data
from territory.models import Territory


class Command(BaseCommand):
    help = "List stored free texts holding personal data, per département, to review."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--departement", action="append", help="only these départements (codes)"
        )

    def handle(self, *args, departement=None, **options) -> None:
        found = defaultdict(list)
        for model in apps.get_models():
            for obj, field, what in scan(model):
                found[departement_path(_path(obj))].append((obj, field, what))
        names = dict(
            Territory.objects.filter(path__in=found).values_list("path", "code")
        )
        wanted = set(departement or [])
        total = 0
        for path in sorted(found):
            code = names.get(path, path)
            if wanted and code not in wanted:
                continue
            self.stdout.write(f"Département {code}: {len(found[path])} to review")
            for obj, field, what in found[path]:
                label = obj._meta.verbose_name
                self.stdout.write(f"  {label} #{obj.pk} · {field}: {what}")
            total += len(found[path])
        self.stdout.write(f"{total} free texts to review; nothing was changed.")


def scan(model):
    fields = getattr(model, "free_text_fields", ())
    if not fields:
        return
    for obj in model.objects.all().iterator(chunk_size=500):
        for field in fields:
            text = getattr(obj, field) or ""
            certain = find_personal_data(text)
            if certain:
                yield obj, field, ", ".join(f"{f.kind} ({f.excerpt})" for f in certain)
                continue
            names = probable_names(text, is_known_place)
            if names:
                yield (
                    obj,
                    field,
                    "probable name: " + ", ".join(mask_word(n.text) for n in names),
                )


def _path(obj) -> str:
    try:
        return obj.scope_path()
    except AttributeError:
        return ""
