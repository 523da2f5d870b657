"""Keep README.md true: regenerate the parts between its markers.

- ``<!-- settings tap-X -->`` … ``<!-- /settings -->``: ``tap-X --about --format=markdown``'s
  settings table.
- ``<!-- section X -->`` … ``<!-- /section -->``: ``docs/X.md``.

``python -m scripts.readme`` rewrites README.md; ``--check`` exits 1 when it is stale.
"""

from __future__ import annotations

import re
import sys

from scripts.about import ROOT, about

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- (settings|section) ([\w-]+) -->\n)(.*?)(<!-- /\2 -->)", re.S)


def settings_table(script: str) -> str:
    # The about page's "Settings" section up to the next heading of the same level.
    match = re.search(r"^## Settings\n(.*?)(?=^## |\Z)", about(script, "markdown"), re.M | re.S)
    if not match:
        raise SystemExit(f"{script} --about has no Settings section")
    return match.group(1).strip() + "\n"


def render(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(2), match.group(3)
        if kind == "settings":
            body = settings_table(name)
        else:
            body = (ROOT / "docs" / f"{name}.md").read_text().strip() + "\n"
        return f"{match.group(1)}{body}{match.group(5)}"

    return BLOCK.sub(replace, text)


def main() -> None:
    current = README.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("README.md is stale: run `make readme`", file=sys.stderr)
            sys.exit(1)
        return
    README.write_text(fresh)


if __name__ == "__main__":
    main()
