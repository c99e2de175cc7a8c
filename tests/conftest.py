"""Shared fixtures: a real PostGIS test database holding a few départements."""

import pytest

from territory.services import import_reference

# Bouches-du-Rhône (13), Corse-du-Sud (2A), La Réunion (974), and two départements of
# one région, Hauts-de-Seine (92) and Seine-Saint-Denis (93, with a 2025 merger):
# mainland, a non-numeric code, overseas, neighbours; not all of France.
TEST_DEPARTEMENTS = ["13", "2A", "974", "92", "93"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        import_reference(departements=TEST_DEPARTEMENTS)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production, not for hundreds of test logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """Rate limits count in the shared cache table: each test starts with none spent.

    Only tests that use the database have one to clear (the table lives in it).
    """
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(
        request.fixturenames
    ):
        from django.core.cache import caches

        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            for alias in ("default", "tiles"):  # tiles: what a live server committed
                caches[alias].clear()


@pytest.fixture(autouse=True)
def session_renewal_out_of_reach(settings):
    # The session's idle expiry is renewed (a write) at most once per
    # SESSION_RENEW_SECONDS: a loaded run can cross that between the two counts of a
    # query-count test. Tests of the renewal set their session's clock themselves.
    settings.SESSION_RENEW_SECONDS = 3600


@pytest.fixture(autouse=True)
def private_files_of_the_test(settings, tmp_path):
    # Uploads and export files in the test's own folder: never an earlier run's.
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def mail_sent_on_commit(settings):
    # Mail still goes through the queue; the worker just runs in-process on commit,
    # so tests read django.core.mail.outbox as soon as their write commits.
    settings.MAIL_WORKER_ON_COMMIT = True
