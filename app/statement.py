"""The accessibility statement: read from a YAML file the partnership edits, checked against the GOV.UK model.

Pure: no Flask, no database. The page escapes every string it shows, so the file can hold plain text only.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The parts the Public Sector Bodies Accessibility Regulations 2018 and the GOV.UK model statement require.
REQUIRED_SECTIONS = {
    "standard": "the standard met (compliance status)",
    "known-issues": "known issues (non-accessible content)",
    "report-a-problem": "how to report a problem",
    "enforcement": "the enforcement procedure",
    "testing": "how and when it was tested",
}

# A link may only leave for the web, an email or a phone call, or stay on this site: never javascript: or data:.
SAFE_LINK_PREFIXES = ("https://", "http://", "mailto:", "tel:", "/")


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class Statement:
    title: str
    sections: list[Section]


class StatementError(ValueError):
    """The statement file is missing, is not YAML, or lacks a required part; the message says which."""


def _strings(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise StatementError(f"{where} must be a list of text")
    return [v.strip() for v in value]


def _links(value, where: str) -> list[Link]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StatementError(f"{where} must be a list of links")
    links = []
    for n, raw in enumerate(value, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not isinstance(raw.get("href"), str):
            raise StatementError(f"{where}, link {n}, needs a text and an href")
        href = raw["href"].strip()
        if not href.lower().startswith(SAFE_LINK_PREFIXES) or href.startswith("//"):
            raise StatementError(f"{where}, link {n}: an href must start with {', '.join(SAFE_LINK_PREFIXES)}")
        links.append(Link(text=raw["text"].strip(), href=href))
    return links


def parse(text: str) -> Statement:
    """The statement in `text` (YAML); StatementError if it is malformed or a required section is missing."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StatementError(f"the file is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise StatementError("the file must hold a title and a list of sections")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise StatementError("the statement needs a title")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise StatementError("the statement needs a list of sections")
    sections = []
    for n, raw in enumerate(raw_sections, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("heading"), str):
            raise StatementError(f"section {n} needs an id and a heading")
        where = f"section '{raw['id']}'"
        section = Section(
            id=raw["id"].strip(),
            heading=raw["heading"].strip(),
            paragraphs=_strings(raw.get("paragraphs"), f"{where} paragraphs"),
            items=_strings(raw.get("items"), f"{where} items"),
            links=_links(raw.get("links"), f"{where} links"),
        )
        if not (section.paragraphs or section.items or section.links):
            raise StatementError(f"{where} is empty")
        sections.append(section)
    present = {s.id for s in sections}
    missing = [f"{key} ({meaning})" for key, meaning in REQUIRED_SECTIONS.items() if key not in present]
    if missing:
        raise StatementError("missing required sections: " + "; ".join(missing))
    return Statement(title=title.strip(), sections=sections)


def load(path: Path) -> Statement:
    """The statement in the file at `path`; StatementError if it cannot be read or is malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StatementError(f"cannot read {path}: {exc.strerror}") from exc
    return parse(text)
