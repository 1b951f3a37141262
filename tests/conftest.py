"""Shared fixtures live in tests/fixtures/, one plugin module per real resource."""
pytest_plugins = [
    "tests.fixtures.service",
    "tests.fixtures.prosody",
    "tests.fixtures.mongo",
]
