"""The network map: user-defined networks as bands, the containers attached below them; and two
topologies compared. Read from the engine by `topology`, drawn by `draw`."""

from __future__ import annotations

import docker

from grader.course.pictures import svg
from grader.course.pictures.draw import INK, Box, Scene, draw, legend, ordered
from grader.course.pictures.topology import Topology, read_scene


def network_map(
    client: docker.DockerClient, networks: list[str] | None = None, containers: list[str] | None = None
) -> svg.Picture:
    """The networks (user-defined ones by default) and the containers on them, from the engine.

    Containers named in `containers` that are on none of these networks are shown apart, as are,
    when neither list is given, the running containers on no user-defined network.
    """
    return draw_map(read_scene(client, networks, containers))


def draw_map(scene: Scene) -> svg.Picture:
    """The network map of `scene`: its networks as bands, its containers below them."""
    body, width, height = draw(scene)
    return svg.document(width, height, body, "Networks and the containers attached to them")


def compare(expected: Topology, found: Topology) -> svg.Picture:
    """The expected topology beside the one found, missing and extra attachments marked."""
    left = _topology_scene(expected, expected, marked=False)
    right = _topology_scene(expected, found, marked=True)
    (left_body, left_width, left_height), (right_body, right_width, right_height) = draw(left), draw(right)
    top, gap = 34, 30
    body = [
        svg.text(12, 22, "Expected", font_size=15, font_weight="bold", fill=INK),
        svg.element("g", "\n".join(left_body), transform=f"translate(0,{top})"),
        svg.text(
            left_width + gap + 12, 22, "Found on your engine", font_size=15, font_weight="bold", fill=INK
        ),
        svg.element("g", "\n".join(right_body), transform=f"translate({left_width + gap},{top})"),
        svg.element(
            "line",
            x1=left_width + gap / 2,
            y1=8,
            x2=left_width + gap / 2,
            y2=top + max(left_height, right_height),
            stroke="#cfd8dc",
            stroke_width=1,
        ),
    ]
    height = top + max(left_height, right_height)
    body += legend(height)
    return svg.document(left_width + gap + right_width, height + 34, body, "Expected and found networks")


def _topology_scene(expected: Topology, shown: Topology, *, marked: bool) -> Scene:
    """A panel of `shown`; when `marked`, also the attachments missing from it, marked, and its extras."""
    marks: dict[tuple[str, str], str] = {}
    if marked:
        marks = {pair: "missing" for pair in expected.pairs() - shown.pairs()}
        marks |= {pair: "extra" for pair in shown.pairs() - expected.pairs()}
    pairs = shown.pairs() | {pair for pair, mark in marks.items() if mark == "missing"}
    networks = sorted(set(shown.networks) | ({*expected.networks} if marked else set()))
    names = sorted({name for name, _ in pairs})
    boxes = [Box(name, {network: "" for c, network in sorted(pairs) if c == name}) for name in names]
    captions = [(name, _topology_caption(name, expected, shown, marked)) for name in networks]
    return Scene(networks=captions, boxes=ordered(boxes, networks), marks=marks)


def _topology_caption(name: str, expected: Topology, shown: Topology, marked: bool) -> str:
    if marked and name not in shown.networks:
        return "no such network"
    if marked and name not in expected.networks:
        return "not expected"
    return f"{len(shown.networks.get(name, ()))} container(s)"
