"""What a typed search means to the full-text engines, and the excerpt shown for a hit (app.search.query)."""

import pytest

from app.search import query


@pytest.mark.parametrize(("typed", "words"), [
    ("refuge", ["refuge"]),
    ("  Refuge   POLICE ", ["refuge", "police"]),
    ("refuge refuge", ["refuge"]),
    ("the refuge and the police", ["refuge", "police"]),  # stop words dropped, as PostgreSQL does
    ("the and of", []),
    ("", []),
    (None, []),
    ('"refuge" AND -police* NEAR(x)', ["refuge", "police", "near", "x"]),  # syntax is only text
    ("women's safety", ["women", "safety"]),  # "s" is a stop word
    ("MARAC_2019", ["marac", "2019"]),
    ("Ærø café", ["ærø", "café"]),
    ("a b c d e f g h i j k l", ["b", "c", "d", "e", "f", "g", "h", "j"]),  # at most 8 ("a", "i" are stop words)
    ("x" * 60, ["x" * 40]),
])
def test_words(typed, words):
    assert query.words(typed) == words


@pytest.mark.parametrize(("words", "fts5", "ts"), [
    (["refuge"], '"refuge"*', "refuge:*"),
    (["refuge", "police"], '"refuge"* "police"*', "refuge:* & police:*"),
])
def test_engine_queries(words, fts5, ts):
    assert query.fts5_query(words) == fts5
    assert query.tsquery(words) == ts


def _render(pieces):
    return "".join(f"[{p}]" if matched else p for p, matched in pieces)


@pytest.mark.parametrize(("text", "words", "shown"), [
    ("Refuge places were found", ["refuge"], "[Refuge] places were found"),
    ("Two refuges opened; the refuge team", ["refuge"], "Two [refuges] opened; the [refuge] team"),
    ("Police ran the course", ["run"], "Police ran the course"),  # stemmed hit: the text's start
    ("", ["x"], ""),
    ("a  b\n\nc", [], "a b c"),
    ("prerefuge is not a word start", ["refuge"], "prerefuge is not a word start"),
])
def test_excerpt_marks_words_that_start_with_a_searched_word(text, words, shown):
    assert _render(query.excerpt(text, words)) == shown


def test_a_long_excerpt_is_cut_at_words_around_the_first_match():
    text = ("word " * 100) + "refuge " + ("tail " * 100)
    pieces = query.excerpt(text, ["refuge"], width=60)
    rendered = _render(pieces)
    assert rendered.startswith("…word") and rendered.endswith("…")
    assert "[refuge]" in rendered
    assert len(rendered) <= 60 + len("……[]")
    assert "wor " not in rendered and " ta…" not in rendered  # no word cut in half
