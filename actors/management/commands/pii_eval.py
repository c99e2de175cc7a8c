from django.core.management.base import BaseCommand, CommandError

from lib import pii_eval
from lib.free_text import is_known_place


class Command(BaseCommand):
    help = (
        "Measure the personal-data guard on data/pii/corpus.jsonl: recall per kind "
        "and false positives on clean notes, with the directory's places (make pii-eval)."
    )

    def handle(self, *args, **options) -> None:
        if pii_eval.main(is_known_place) != 0:
            raise CommandError("A target of the personal-data guard is not met.")
