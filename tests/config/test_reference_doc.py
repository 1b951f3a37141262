"""docs/config-reference.md is generated from the schema; it must not drift."""
from pathlib import Path

from raymuc.config.reference import reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "config-reference.md"


def test_reference_doc_matches_schema():
    assert DOC.read_text() == reference_markdown() + "\n", \
        "regenerate with: .venv/bin/raymuc config-reference > docs/config-reference.md"
