"""Bounding text shown to students: tails of logs, last lines, one-line messages."""

from __future__ import annotations

import pytest

from grader.text import LOG_LIMIT, decode, last_lines, shorten, tail


def test_tail_keeps_short_text_as_it_is() -> None:
    assert tail("short") == "short"
    assert tail("x" * LOG_LIMIT) == "x" * LOG_LIMIT


def test_tail_keeps_the_end_and_says_how_much_was_cut() -> None:
    text = "".join(str(n % 10) for n in range(100))
    cut = tail(text, 30)
    assert cut == "[... 70 characters cut ...]\n" + text[-30:]


@pytest.mark.parametrize("limit", [0, 1, 7])
def test_tail_never_keeps_more_than_its_limit(limit: int) -> None:
    text = "abcdefghij" * 3
    marker, kept = tail(text, limit).split("\n", 1)
    assert kept == text[len(text) - limit :]
    assert marker == f"[... {len(text) - limit} characters cut ...]"


def test_last_lines_skips_blank_lines_and_keeps_the_last() -> None:
    text = "one\n\ntwo\n   \nthree\nfour\n\n"
    assert last_lines(text, 2) == "three\nfour"
    assert last_lines(text) == "one\ntwo\nthree\nfour"
    assert last_lines("", 3) == ""


def test_last_lines_of_zero_is_nothing() -> None:
    assert last_lines("one\ntwo\n", 0) == ""


def test_shorten_strips_and_keeps_short_text() -> None:
    assert shorten("  hello \n") == "hello"


@pytest.mark.parametrize("limit", [0, 2, 3, 4, 10, 300])
def test_shorten_never_exceeds_its_limit_and_marks_the_cut(limit: int) -> None:
    text = "a" * 1000
    short = shorten(text, limit)
    assert len(short) == limit
    if limit >= 3:
        assert short.endswith("...") and short[:-3] == "a" * (limit - 3)


def test_decode_replaces_bytes_that_are_not_utf8() -> None:
    assert decode("héllo".encode()) == "héllo"
    assert decode(b"ok \xff\xfe") == "ok \ufffd\ufffd"
