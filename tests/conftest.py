"""Shared fixtures live in tests/fixtures/, one plugin module per real resource."""
pytest_plugins = [
    "tests.fixtures.ray",
    "tests.fixtures.service",
    "tests.fixtures.prosody",
    "tests.fixtures.mongo",
    "tests.fixtures.faults",
]
