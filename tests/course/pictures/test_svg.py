"""SVG text: escaping, elements, shortening and the picture object."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.course.pictures import svg

HOSTILE = "</svg><script>alert('x' & \"y\")</script>\x00\x1b"


def test_escape_leaves_no_markup() -> None:
    escaped = svg.escape(HOSTILE)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    assert "\x00" not in escaped and "\x1b" not in escaped


def test_text_round_trips_through_an_xml_parser() -> None:
    picture = svg.document(100, 50, [svg.text(1, 2, HOSTILE, data_note=HOSTILE)], label=HOSTILE)
    root = ET.fromstring(picture.svg)
    node = root.find("{http://www.w3.org/2000/svg}text")
    assert node is not None
    assert node.text == "</svg><script>alert('x' & \"y\")</script>␀␛", "controls show as visible marks"
    assert node.get("data-note") == node.text


def test_element_drops_none_attributes_and_renames_keywords() -> None:
    drawn = svg.element("g", class_="a", stroke_dasharray=None, stroke_width=2)
    assert drawn == '<g class="a" stroke-width="2"/>'


def test_shorten_makes_one_line_with_an_ellipsis() -> None:
    assert svg.shorten("a  b\nc", 10) == "a b c"
    assert svg.shorten("abcdefghij", 5) == "abcd…"


def test_picture_shows_itself_in_a_notebook() -> None:
    picture = svg.document(10.4, 20.6, [], label="empty")
    assert picture._repr_svg_() == picture.svg == str(picture)
    assert 'width="10"' in picture.svg and 'viewBox="0 0 10 21"' in picture.svg
