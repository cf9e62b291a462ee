"""What a search box's text means to each database's full-text engine, and the excerpt shown for a hit.

Pure: no Flask, no SQLAlchemy. People type words, not query syntax, so only letters and digits are
kept: quotes, brackets, "AND", "-" and "*" can neither break the query nor change its meaning. Every
word must appear (AND), and each word matches as a prefix, so "refug" finds "refuge" and "refuges".
"""

import re

MAX_WORDS = 8  # enough for any phrase someone remembers; bounds the query's cost
MAX_WORD_LENGTH = 40
_WORD = re.compile(r"[^\W_]+")
# PostgreSQL's 'english' stop words (tsearch_data/english.stop). PostgreSQL ignores them and SQLite's
# FTS5 does not, so they are dropped here and a search finds the same rows on either database.
_STOP_WORDS_FILE = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP_WORDS_FILE.split())


def words(text: str | None) -> list[str]:
    """The words searched for, lower case, in order, without repeats or stop words; [] when there is
    nothing to search."""
    found: list[str] = []
    for word in _WORD.findall((text or "").lower()):
        word = word[:MAX_WORD_LENGTH]
        if word not in found and word not in STOP_WORDS:
            found.append(word)
    return found[:MAX_WORDS]


def fts5_query(search_words: list[str]) -> str:
    """SQLite FTS5: each word quoted (so it is never an operator) and matched as a prefix."""
    return " ".join(f'"{word}"*' for word in search_words)


def tsquery(search_words: list[str]) -> str:
    """PostgreSQL to_tsquery: each word as a prefix (:*), all of them required (&)."""
    return " & ".join(f"{word}:*" for word in search_words)


def excerpt(text: str, search_words: list[str], width: int = 180) -> list[tuple[str, bool]]:
    """About `width` characters of `text` around the first word that starts with a searched word, as
    (piece, is_match) pairs so the page can mark the matches (the template escapes every piece).

    The engines stem words, so a hit may hold no word that starts with what was typed ("ran" for
    "run"); the excerpt is then the start of the text."""
    text = " ".join(text.split())
    if not text or not search_words:
        return [(text[:width], False)] if text else []
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in search_words) + r")[^\W_]*", re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (first.start() if first else start) else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    window = text[start:end]
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    position = 0
    for match in pattern.finditer(window):
        if match.start() > position:
            pieces.append((window[position:match.start()], False))
        pieces.append((match.group(0), True))
        position = match.end()
    if position < len(window):
        pieces.append((window[position:], False))
    if end < len(text):
        pieces.append(("…", False))
    return pieces
