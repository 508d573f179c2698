"""Every FACTS § and CONTRACT § citation in the project resolves inside the repository.

docs/FACTS.md and docs/CONTRACT.md are the project's copies of the shared facts page and
interface contract; where the shared originals sit beside the checkout (as in CI), the copies
must match them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CITATION = re.compile(r"\b(FACTS|CONTRACT)(?:\.md)?,? ?§ ?(\d+)")
SKIP = {".git", ".venv", ".cache", "node_modules", ".terraform", "__pycache__"}
SUFFIXES = {".py", ".tf", ".md", ".hcl", ".json", ".yaml", ".txt"}


def _project_files() -> list[Path]:
    return [
        p
        for p in REPO.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and not SKIP & set(p.relative_to(REPO).parts)
    ]


def _sections(document: str) -> set[str]:
    return set(re.findall(r"^## (\d+)\.", (REPO / "docs" / document).read_text(), re.M))


def test_every_citation_names_a_section_that_exists() -> None:
    sections = {"FACTS": _sections("FACTS.md"), "CONTRACT": _sections("CONTRACT.md")}
    broken = []
    for path in _project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CITATION.finditer(text):
            if match.group(2) not in sections[match.group(1)]:
                line = text.count("\n", 0, match.start()) + 1
                broken.append(f"{path.relative_to(REPO)}:{line}: {match.group(0)}")
    assert not broken, broken


def test_nothing_points_outside_the_repository() -> None:
    # The verbatim copies may mention the shared directory they come from; nothing else may.
    copies = {REPO / "docs" / "FACTS.md", REPO / "docs" / "CONTRACT.md", Path(__file__)}
    outside = [
        str(p.relative_to(REPO))
        for p in _project_files()
        if p not in copies and "../shared/" in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not outside, outside


# Where the project's own additions to the facts page begin: a section number the shared page
# leaves free, so its own new sections never collide with them.
PROJECT_SECTION = "\n## 20. "


@pytest.mark.parametrize("document", ["FACTS.md", "CONTRACT.md"])
def test_copies_are_in_step_with_the_shared_originals(document: str) -> None:
    original = SHARED / document
    if not original.is_file():
        pytest.skip(f"{original} is not beside this checkout")
    copy = (REPO / "docs" / document).read_text(encoding="utf-8").split("\n", 1)[1]
    # FACTS.md holds all of the shared page, then what the project established beyond it.
    shared_part = copy.split(PROJECT_SECTION, 1)[0] if document == "FACTS.md" else copy
    assert shared_part.rstrip("\n") == original.read_text(encoding="utf-8").rstrip("\n"), (
        f"docs/{document} differs from {original}: copy it again (keep the first line"
        + (" and §20)" if document == "FACTS.md" else ")")
    )


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: Path) -> set[str]:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
    headings = re.findall(r"^#{1,6} (.+)$", markdown.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_in_the_docs_resolves() -> None:
    # The README leads to the rest in one click: a moved page or renamed heading breaks that.
    broken = []
    for page in (p for p in _project_files() if p.suffix == ".md"):
        if "fixtures" in page.parts:
            continue
        for target in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or (
                anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)
            ):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, broken
