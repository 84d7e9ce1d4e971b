"""The service tests' fixtures live in helpers.py (importable as tests.webservice.helpers, which a
conftest is not); importing them here registers them with pytest."""

from tests.webservice.helpers import _fast_argon2, database_url, harness, pg_cluster, settings  # noqa: F401
