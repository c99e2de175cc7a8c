# Loaded by rules' autodiscovery: registers every capability of every app.
from actors import capabilities  # noqa: F401
