"""The network map and the comparison of topologies, drawn from a real engine."""

from __future__ import annotations

import docker
import pytest

from grader.course.pictures import Topology, compare, network_map
from tests.course.pictures.conftest import Made, classed, texts
from tests.results import dangerous_in

HOSTILE = "</svg><script>alert(1)</script>"


@pytest.fixture
def built(made: Made) -> dict[str, docker.models.containers.Container]:
    """front and back networks; web on both (port 80 published), db on back, lonely on the default bridge."""
    front, back = made.network("front"), made.network("back")
    return {
        "front": front,
        "back": back,
        "web": made.container("web", [front, back], ports={"80/tcp": None}),
        "db": made.container("db", [back]),
        "lonely": made.container("lonely", []),
    }


def _ip(container: docker.models.containers.Container, network: str) -> str:
    return container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]


def _host_port(container: docker.models.containers.Container) -> str:
    return container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]


@pytest.mark.docker
def test_networks_containers_and_addresses_are_drawn(client: docker.DockerClient, built: dict) -> None:
    web, db = built["web"], built["db"]
    words = texts(network_map(client, [built["front"], built["back"]]).svg)
    assert built["front"] in words and built["back"] in words
    assert words.count(web.name) == 1 and words.count(db.name) == 1
    assert {_ip(web, built["front"]), _ip(web, built["back"]), _ip(db, built["back"])} <= set(words)
    assert f"{_host_port(web)}→80/tcp" in words
    assert built["lonely"].name not in words


@pytest.mark.docker
def test_a_container_on_two_networks_is_drawn_once(client: docker.DockerClient, built: dict) -> None:
    picture = network_map(client, [built["back"], built["front"]])
    boxes = ["".join(node.itertext()) for node in classed(picture.svg, "container")]
    assert len([box for box in boxes if built["web"].name in box]) == 1
    assert len(classed(picture.svg, "attachment")) == 3


@pytest.mark.docker
def test_a_container_on_no_user_network_is_shown_apart(client: docker.DockerClient, built: dict) -> None:
    names = [built[short].name for short in ("web", "db", "lonely")]
    words = texts(network_map(client, containers=[*names, "pictures-test-no-such-container"]).svg)
    assert "not on these networks" in words and built["lonely"].name in words
    assert any(line.startswith("bridge ") for line in words)
    assert "no such container" in words
    assert built["front"] in words and built["back"] in words


@pytest.mark.docker
def test_networks_named_but_absent_are_said(client: docker.DockerClient, built: dict) -> None:
    words = texts(network_map(client, [built["front"], "pictures-test-no-such-network"]).svg)
    assert "no such network" in words
    assert built["db"].name not in words


@pytest.mark.docker
def test_the_default_map_shows_user_networks(client: docker.DockerClient, built: dict) -> None:
    words = texts(network_map(client).svg)
    assert {built["front"], built["back"], built["web"].name, built["lonely"].name} <= set(words)
    assert "bridge" not in words and "host" not in words


@pytest.mark.docker
def test_topology_is_read_from_the_engine(client: docker.DockerClient, built: dict) -> None:
    found = Topology.from_engine(client, built["front"], built["back"], "pictures-test-no-such-network")
    assert found.networks == {
        built["front"]: {built["web"].name},
        built["back"]: {built["web"].name, built["db"].name},
        "pictures-test-no-such-network": set(),
    }


@pytest.mark.docker
def test_compare_marks_an_attachment_missing_on_the_engine(client: docker.DockerClient, built: dict) -> None:
    web, db = built["web"].name, built["db"].name
    expected = Topology({built["front"]: {web, db}, built["back"]: {web, db}})
    picture = compare(expected, Topology.from_engine(client, built["front"], built["back"]))
    missing = classed(picture.svg, "missing")
    assert len(missing) == 1 and "missing" in texts(picture.svg)
    assert classed(picture.svg, "extra") == []


def test_compare_marks_missing_and_extra() -> None:
    expected = Topology({"net": {"a", "b"}, "other": {"a"}})
    found = Topology({"net": {"a", "c"}, "other": {"a"}})
    picture = compare(expected, found)
    words = texts(picture.svg)
    assert words.count("missing") == 1 and words.count("extra") == 1
    assert len(classed(picture.svg, "missing")) == 1 and len(classed(picture.svg, "extra")) == 1
    assert words.count("b") == 2 and words.count("c") == 1
    assert "Expected" in words and "Found on your engine" in words


def test_compare_says_a_network_is_absent() -> None:
    words = texts(compare(Topology({"net": {"a"}}), Topology({})).svg)
    assert "no such network" in words and "missing" in words


def test_compare_escapes_hostile_names() -> None:
    picture = compare(Topology({HOSTILE: {HOSTILE + "&"}}), Topology({HOSTILE: set()}))
    assert "<script>" not in picture.svg
    assert HOSTILE in texts(picture.svg) and HOSTILE + "&" in texts(picture.svg)


def test_the_layout_is_the_same_whatever_the_order() -> None:
    one = compare(Topology({"b": {"y", "x"}, "a": {"x"}}), Topology({"a": {"x"}, "b": {"x", "y"}}))
    two = compare(Topology({"a": {"x"}, "b": {"x", "y"}}), Topology({"b": {"y", "x"}, "a": {"x"}}))
    assert one.svg == two.svg


def test_hostile_names_are_text_in_the_picture_with_their_escapes_visible() -> None:
    evil = "web\x1b]0;pwned\x07\u202e</text><script>x</script>"
    picture = compare(Topology({"net\x9b2J": {evil}}), Topology({"net\x9b2J": {evil, "db\udcff"}})).svg
    shown = texts(picture)
    assert not dangerous_in(picture) and "<script>" not in picture
    assert "web␛]0;pwned␇\\u202e</text><script>x</script>" in shown
    assert "db\\xff" in shown and any("\\x9b2J" in words for words in shown)
