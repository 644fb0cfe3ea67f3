"""The network map drawn from a scene built by hand: no engine involved."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from grader.course.pictures.draw import MISSING, NAME_CHARS, Box, Scene
from grader.course.pictures.network_map import draw_map
from tests.course.pictures.conftest import classed, texts

SVG = "{http://www.w3.org/2000/svg}"

WEB = Box("web", {"front": "10.1.0.2", "back": "10.2.0.2"}, ports=("8080→80/tcp",))
DB = Box("db", {"back": "10.2.0.3"}, note="exited")
TWO_NETWORKS = Scene(
    networks=[("back", "bridge · 10.2.0.0/24"), ("front", "bridge · 10.1.0.0/24")], boxes=[DB, WEB]
)


def _rect(node: ET.Element) -> tuple[float, float]:
    """The left and right edges of an element's first rectangle."""
    rect = node if node.tag == f"{SVG}rect" else node.find(f"{SVG}rect")
    assert rect is not None
    return float(rect.get("x", 0)), float(rect.get("x", 0)) + float(rect.get("width", 0))


def test_networks_containers_addresses_ports_and_notes_are_drawn() -> None:
    words = texts(draw_map(TWO_NETWORKS).svg)
    assert {"back", "front", "bridge · 10.2.0.0/24", "bridge · 10.1.0.0/24"} <= set(words)
    assert words.count("web") == 1 and words.count("db") == 1
    assert {"10.1.0.2", "10.2.0.2", "10.2.0.3", "8080→80/tcp", "exited"} <= set(words)
    assert "no containers" not in words and "not on these networks" not in words


def test_a_box_is_drawn_once_with_a_pill_per_network_it_is_on() -> None:
    picture = draw_map(TWO_NETWORKS).svg
    boxes = classed(picture, "container")
    assert len(boxes) == 2
    assert len(classed(picture, "attachment")) == 3
    assert [node.findtext(f"{SVG}title") for node in boxes] == ["container db", "container web"]


def test_each_pill_sits_above_its_box() -> None:
    picture = draw_map(TWO_NETWORKS).svg
    centres: dict[str, float] = {}
    for box in classed(picture, "container"):
        left, right = _rect(box)
        centres[box.findtext(f"{SVG}title", "").removeprefix("container ")] = (left + right) / 2
    for pill in classed(picture, "attachment"):
        left, right = _rect(pill)
        address = pill.findtext(f"{SVG}text")
        owner = "db" if address == "10.2.0.3" else "web"
        assert (left + right) / 2 == centres[owner], address
    assert len(centres) == 2 and len(classed(picture, "attachment")) == 3


def test_boxes_are_side_by_side_and_inside_the_picture() -> None:
    many = Scene(networks=[("net", "")], boxes=[Box(f"c{n}" * 6, {"net": f"10.0.0.{n}"}) for n in range(5)])
    picture = draw_map(many).svg
    edges = [_rect(box) for box in classed(picture, "container")]
    assert len(edges) == 5
    assert all(right <= next_left for (_, right), (next_left, _) in itertools.pairwise(edges))
    assert edges[-1][1] <= float(ET.fromstring(picture).get("width", 0))


def test_a_wider_scene_makes_a_wider_picture() -> None:
    db = Box("db", {"net": "10.0.0.2"})
    one = ET.fromstring(draw_map(Scene(networks=[("net", "")], boxes=[db])).svg)
    two = ET.fromstring(draw_map(Scene(networks=[("net", "")], boxes=[db, Box("x" * 40, {"net": ""})])).svg)
    assert float(two.get("width", 0)) > float(one.get("width", 0))


def test_a_network_without_containers_says_so() -> None:
    words = texts(draw_map(Scene(networks=[("empty", "bridge")], boxes=[])).svg)
    assert "empty" in words and "no containers" in words


def test_no_networks_at_all_says_so() -> None:
    assert "no user-defined networks" in texts(draw_map(Scene(networks=[], boxes=[])).svg)


def test_boxes_apart_are_in_their_own_area_without_attachments() -> None:
    lonely = Box("lonely", {}, note="bridge 172.17.0.2")
    picture = draw_map(Scene(networks=[("front", "bridge")], boxes=[], apart=[lonely])).svg
    words = texts(picture)
    assert "not on these networks" in words and "lonely" in words and "bridge 172.17.0.2" in words
    assert classed(picture, "attachment") == []
    assert len(classed(picture, "container")) == 1


def test_a_missing_attachment_is_dashed_and_red() -> None:
    scene = Scene(networks=[("net", "")], boxes=[Box("web", {"net": ""})], marks={("web", "net"): "missing"})
    picture = draw_map(scene).svg
    (pill,) = classed(picture, "missing")
    rect = pill.find(f"{SVG}rect")
    assert rect is not None and rect.get("stroke") == MISSING and rect.get("stroke-dasharray")
    assert "missing" in texts(picture)
    lines = ET.fromstring(picture).iter(f"{SVG}line")
    assert any(line.get("stroke") == MISSING and line.get("stroke-dasharray") for line in lines)


def test_a_long_network_name_is_shortened_and_a_long_container_name_widens_its_box() -> None:
    long = "n" * 80
    picture = draw_map(Scene(networks=[(long, "")], boxes=[Box("c" * 60, {long: "10.0.0.2"})])).svg
    words = texts(picture)
    assert long not in words and any(word.startswith("n" * (NAME_CHARS - 1)) for word in words)
    (box,) = classed(picture, "container")
    left, right = _rect(box)
    assert right - left >= 60 * 7 * 13 / 12, "the name fits in its box"


def test_hostile_words_in_a_scene_are_text() -> None:
    evil = "</text><script>x</script>"
    picture = draw_map(Scene(networks=[(evil, evil)], boxes=[Box(evil, {evil: evil}, (evil,), evil)])).svg
    assert "<script>" not in picture and evil in texts(picture)
