"""The README's generated parts (settings tables, tap sections) match the code and docs."""

from __future__ import annotations

from scripts import readme


def test_readme_starts_with_the_two_commands() -> None:
    first_lines = readme.README.read_text().splitlines()[:5]
    assert any(line.startswith("make demo") for line in first_lines)
    assert any(line.startswith("make test") for line in first_lines)


def test_readme_is_regenerated_from_about_and_docs() -> None:
    current = readme.README.read_text()
    assert readme.render(current) == current, "README.md is stale: run `make readme`"
