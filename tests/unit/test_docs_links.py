"""The README and docs/ hold together: every relative link resolves, the quick start is two commands, and the
README links each developer document.

A Markdown link or image is ``[text](target)``; ``target`` without a scheme (``https:``, ``mailto:``) is a path
relative to the file that holds it, optionally with a ``#fragment``. A target that is only ``#fragment`` points into
the same file and is not checked here (fragments depend on the renderer's heading ids).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

#: ``](target)`` with no spaces in the target; a title after a space (``](x "t")``) is not used in this repository.
LINK = re.compile(r"\]\(([^)\s]+)\)")
#: The documents the README must link (the developer material moved out of it, and the local exchange's).
REQUIRED_FROM_README = [
    "docs/architecture.md",
    "docs/reliability.md",
    "docs/testing.md",
    "docs/performance.md",
    "docs/local-exchange.md",
    "benchmarks/RESULTS.md",
]


def _relative_targets(path: Path) -> list[str]:
    """Every link target of ``path`` that names a file (no scheme, not a bare ``#fragment``), fragment removed."""
    targets = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(path):
    missing = [t for t in _relative_targets(path) if not (path.parent / t).exists()]
    assert missing == [], f"{path.relative_to(ROOT)} links to missing files: {missing}"


def test_the_link_checker_sees_links_and_images():
    # The README shows screenshots and links docs; if the pattern stopped matching, the test above would pass vacuously.
    targets = _relative_targets(README)
    assert "screenshots/main-screen.svg" in targets and "docs/reliability.md" in targets


def test_readme_links_every_developer_document():
    targets = set(_relative_targets(README))
    assert [doc for doc in REQUIRED_FROM_README if doc not in targets] == []


def test_quick_start_is_exactly_make_run_and_make_test():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]
