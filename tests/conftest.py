"""Shared fixtures: a real PostGIS test database holding two or three départements."""

import pytest

from territory.services import import_reference

# Marseille (13), Corse-du-Sud (2A) and La Réunion (974): mainland, a non-numeric
# code and overseas, without loading all of France.
TEST_DEPARTEMENTS = ["13", "2A", "974", "92"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        import_reference(departements=TEST_DEPARTEMENTS)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production, not for hundreds of test logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
