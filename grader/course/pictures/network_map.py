"""The network map: user-defined networks as bands, the containers attached below them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import docker
from docker.errors import NotFound
from docker.models.containers import Container
from docker.models.networks import Network

from grader.course.pictures import svg

DEFAULT_NETWORKS = frozenset({"bridge", "host", "none", "docker_gwbridge"})
PALETTE = [("#e3f0fb", "#3d7fb8"), ("#e5f4e9", "#3f9a5c"), ("#efe8f8", "#8461bd"), ("#fcf0db", "#c98a1b")]
INK, MUTED, MISSING, EXTRA = "#263238", "#607d8b", "#d32f2f", "#e65100"
BAND_HEIGHT, BAND_GAP, RISE, NAME_CHARS = 40, 14, 34, 32
COLUMN_GAP, MIN_COLUMN, LINE = 16, 104, 15


@dataclass(frozen=True)
class Box:
    """A container as drawn: its name, its address on each network, its ports, a note."""

    name: str
    addresses: dict[str, str]
    ports: tuple[str, ...] = ()
    note: str = ""

    def lines(self) -> list[str]:
        """The small lines under the name."""
        return [*self.ports, *([self.note] if self.note else [])]

    def width(self) -> float:
        """The column this box needs: its longest line or address, padded."""
        words = [svg.width_of(self.name, 13), *map(svg.width_of, self.lines()), *self._address_widths()]
        return max(MIN_COLUMN, max(words) + 24)

    def _address_widths(self) -> list[float]:
        return [svg.width_of(ip, 11) + 16 for ip in self.addresses.values()]


@dataclass(frozen=True)
class Scene:
    """What one panel shows: networks (with a caption each), attached boxes, boxes apart, marks."""

    networks: list[tuple[str, str]]
    boxes: list[Box]
    apart: list[Box] = field(default_factory=list)
    marks: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def left(self) -> float:
        """Where the boxes start: right of the widest network label."""
        labels = [
            max(svg.width_of(svg.shorten(name, NAME_CHARS), 14), svg.width_of(caption, 11))
            for name, caption in self.networks
        ]
        return min(max([120.0, *labels]) + 34, 300)


@dataclass
class Topology:
    """Which containers are attached to which network, by name."""

    networks: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_engine(cls, client: docker.DockerClient, *names: str) -> Topology:
        """The running attachments of networks `names` (all user-defined ones if none are named)."""
        chosen = sorted(names) if names else user_networks(client)
        return cls({name: _attached(client, name) for name in chosen})

    def containers(self) -> list[str]:
        """Every container named, sorted."""
        return sorted(set().union(*self.networks.values())) if self.networks else []

    def pairs(self) -> set[tuple[str, str]]:
        """(container, network) for every attachment."""
        return {(name, network) for network, names in self.networks.items() for name in names}


def network_map(
    client: docker.DockerClient, networks: list[str] | None = None, containers: list[str] | None = None
) -> svg.Picture:
    """The networks (user-defined ones by default) and the containers on them, from the engine.

    Containers named in `containers` that are on none of these networks are shown apart, as are,
    when neither list is given, the running containers on no user-defined network.
    """
    found = _containers(client, containers)
    chosen = sorted(set(networks if networks is not None else _default_networks(client, containers, found)))
    boxes = [
        _box(container, chosen) for container in found if _shown(container, chosen, networks, containers)
    ]
    boxes += [Box(name, {}, note="no such container") for name in _unknown(containers, found)]
    scene = Scene(
        networks=[(name, _caption(client, name)) for name in chosen],
        boxes=_ordered([box for box in boxes if box.addresses], chosen),
        apart=sorted((box for box in boxes if not box.addresses), key=lambda box: box.name),
    )
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
    body += _legend(height)
    return svg.document(left_width + gap + right_width, height + 34, body, "Expected and found networks")


def user_networks(client: docker.DockerClient) -> list[str]:
    """The names of the engine's user-defined networks, sorted."""
    listed = client.networks.list()
    return sorted(n.name for n in listed if n.name not in DEFAULT_NETWORKS and not n.attrs.get("Ingress"))


def draw(scene: Scene) -> tuple[list[str], float, float]:
    """A panel's elements, its width and its height."""
    xs = _columns(scene.boxes, scene.left)
    row = len(scene.networks) * (BAND_HEIGHT + BAND_GAP) - BAND_GAP + RISE
    height_of_boxes = _box_height([*scene.boxes, *scene.apart])
    width = max([xs[-1], scene.left + 220, *_apart_right(scene)])
    body = _connectors(scene, xs, row) + _bands(scene, width) + _attachments(scene, xs)
    body += [_container(box, x, row, height_of_boxes) for box, x in zip(scene.boxes, xs, strict=False)]
    height = row + (height_of_boxes if scene.boxes else 0) + 12
    if not scene.networks:
        body.append(svg.text(12, 24, "no user-defined networks", fill=MUTED, font_style="italic"))
        height = max(height, 40)
    if scene.apart:
        apart, height = _apart(scene.apart, (height + 10, scene.left), height_of_boxes, width)
        body += apart
    return body, width + 12, height + 8


def _attached(client: docker.DockerClient, name: str) -> set[str]:
    """The names of the containers running on network `name` (none if there is no such network)."""
    network = _network(client, name)
    containers = (network.attrs.get("Containers") or {}) if network else {}
    return {entry.get("Name", "") for entry in containers.values()} - {""}


def _network(client: docker.DockerClient, name: str) -> Network | None:
    """Network `name` exactly (not an ID prefix), or None."""
    try:
        network = client.networks.get(name)
    except NotFound:
        return None
    return network if network.name == name else None


def _caption(client: docker.DockerClient, name: str) -> str:
    """The driver and subnet under a network's name."""
    network = _network(client, name)
    if network is None:
        return "no such network"
    configs = (network.attrs.get("IPAM") or {}).get("Config") or []
    subnets = [config["Subnet"] for config in configs if config.get("Subnet")]
    return " · ".join([network.attrs.get("Driver") or "", *subnets[:1]]).strip(" ·")


def _containers(client: docker.DockerClient, names: list[str] | None) -> list[Container]:
    """The named containers (those that exist), or all of them."""
    if names is None:
        return client.containers.list(all=True, ignore_removed=True)
    return [container for name in sorted(set(names)) if (container := _container_named(client, name))]


def _default_networks(
    client: docker.DockerClient, names: list[str] | None, found: list[Container]
) -> list[str]:
    """All user-defined networks, or those the named containers are on."""
    return user_networks(client) if names is None else _networks_of(found)


def _shown(
    container: Container, chosen: list[str], networks: list[str] | None, names: list[str] | None
) -> bool:
    """Whether a container belongs in the map: named, on a network shown, or running when nothing is named."""
    if names is not None or set(_settings(container).get("Networks") or {}) & set(chosen):
        return True
    return networks is None and container.status == "running"


def _container_named(client: docker.DockerClient, name: str) -> Container | None:
    try:
        return client.containers.get(name)
    except NotFound:
        return None


def _unknown(names: list[str] | None, found: list[Container]) -> list[str]:
    """The names asked for that are not containers."""
    known = {container.name for container in found} | {container.id for container in found}
    return sorted({name for name in names or [] if name not in known})


def _networks_of(containers: Iterable[Container]) -> list[str]:
    """The user-defined networks these containers are on."""
    names = {name for container in containers for name in _settings(container).get("Networks") or {}}
    return sorted(names - DEFAULT_NETWORKS)


def _settings(container: Container) -> dict:
    return container.attrs.get("NetworkSettings") or {}


def _box(container: Container, networks: list[str]) -> Box:
    """A container as drawn: its addresses on the chosen networks, its published ports, its state."""
    attached = _settings(container).get("Networks") or {}
    addresses = {name: attached[name].get("IPAddress") or "no IP" for name in networks if name in attached}
    others = [
        f"{name} {entry.get('IPAddress')}"
        for name, entry in sorted(attached.items())
        if entry.get("IPAddress")
    ]
    note = container.status if container.status != "running" else ""
    if not addresses and others:
        note = ", ".join([*others, *([note] if note else [])])
    return Box(container.name, addresses, _ports(_settings(container).get("Ports") or {}), note)


def _ports(ports: dict[str, list[dict[str, str]] | None]) -> tuple[str, ...]:
    """Published ports as `host→container/proto`, IPv4 and IPv6 twins once."""
    shown: list[str] = []
    for inner, bindings in sorted(ports.items(), key=lambda item: _port_order(item[0])):
        for binding in bindings or []:
            host = binding.get("HostIp", "")
            where = "" if host in ("", "0.0.0.0", "::") else f"{host}:"
            line = f"{where}{binding.get('HostPort', '')}→{inner}"
            if line not in shown:
                shown.append(line)
    return tuple(shown)


def _port_order(port: str) -> tuple[int, str]:
    number, _, protocol = port.partition("/")
    return (int(number) if number.isdigit() else 0, protocol)


def _ordered(boxes: list[Box], networks: list[str]) -> list[Box]:
    """Boxes grouped by the networks they are on, then by name."""
    index = {name: position for position, name in enumerate(networks)}
    return sorted(boxes, key=lambda box: (sorted(index[name] for name in box.addresses), box.name))


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
    return Scene(networks=captions, boxes=_ordered(boxes, networks), marks=marks)


def _topology_caption(name: str, expected: Topology, shown: Topology, marked: bool) -> str:
    if marked and name not in shown.networks:
        return "no such network"
    if marked and name not in expected.networks:
        return "not expected"
    return f"{len(shown.networks.get(name, ()))} container(s)"


def _columns(boxes: list[Box], left: float) -> list[float]:
    """Each box's left edge, then the right edge of the last."""
    edges = [left]
    for box in boxes:
        edges.append(edges[-1] + box.width() + COLUMN_GAP)
    return edges


def _box_height(boxes: list[Box]) -> float:
    return 30 + LINE * max((len(box.lines()) for box in boxes), default=0)


def _band_top(index: int) -> float:
    return index * (BAND_HEIGHT + BAND_GAP)


def _colours(index: int) -> tuple[str, str]:
    return PALETTE[index % len(PALETTE)]


def _bands(scene: Scene, width: float) -> list[str]:
    """One labelled band per network, drawn over the connectors that pass beneath it."""
    drawn: list[str] = []
    for index, (name, caption) in enumerate(scene.networks):
        fill, stroke = _colours(index)
        top = _band_top(index)
        drawn.append(
            svg.element(
                "rect",
                x=4,
                y=top,
                width=width - 4,
                height=BAND_HEIGHT,
                rx=8,
                fill=fill,
                stroke=stroke,
                stroke_width=1.5,
            )
        )
        drawn.append(
            svg.text(14, top + 17, svg.shorten(name, NAME_CHARS), font_weight="bold", font_size=13, fill=INK)
        )
        drawn.append(svg.text(14, top + 32, caption, font_size=11, fill=MUTED))
        if not any(name in box.addresses for box in scene.boxes):
            drawn.append(svg.text(scene.left, top + 25, "no containers", font_style="italic", fill=MUTED))
    return drawn


def _connectors(scene: Scene, xs: list[float], row: float) -> list[str]:
    """Lines from each box up to each network it is on, a piece per network, coloured by its mark."""
    index = {name: position for position, (name, _) in enumerate(scene.networks)}
    drawn: list[str] = []
    for box, x in zip(scene.boxes, xs, strict=False):
        centre, start = x + box.width() / 2, row
        for name in sorted(box.addresses, key=index.__getitem__, reverse=True):
            mark = scene.marks.get((box.name, name), "")
            end = _band_top(index[name]) + BAND_HEIGHT
            drawn.append(_segment(centre, start, end, mark))
            start = _band_top(index[name])
    return drawn


def _segment(x: float, start: float, end: float, mark: str) -> str:
    """A vertical connector piece: dashed red when missing, orange when extra."""
    colour = {"missing": MISSING, "extra": EXTRA}.get(mark, MUTED)
    dashes = "6 4" if mark == "missing" else None
    return svg.element(
        "line", x1=x, y1=start, x2=x, y2=end, stroke=colour, stroke_width=2, stroke_dasharray=dashes
    )


def _attachments(scene: Scene, xs: list[float]) -> list[str]:
    """Where a box meets a network: a pill with its address there (or what is wrong)."""
    index = {name: position for position, (name, _) in enumerate(scene.networks)}
    drawn: list[str] = []
    for box, x in zip(scene.boxes, xs, strict=False):
        centre = x + box.width() / 2
        for name, address in sorted(box.addresses.items()):
            mark = scene.marks.get((box.name, name), "")
            pill = _pill(centre, _band_top(index[name]), address or mark, mark, _colours(index[name])[1])
            drawn.append(svg.element("g", "".join(pill), class_=f"attachment {mark}".strip()))
    return drawn


def _pill(centre: float, top: float, words: str, mark: str, stroke: str) -> list[str]:
    """A rounded label on a band, or a dot when there is nothing to say."""
    colour = {"missing": MISSING, "extra": EXTRA}.get(mark, stroke)
    bottom = top + BAND_HEIGHT
    if not words:
        return [svg.element("circle", cx=centre, cy=bottom, r=4.5, fill=colour)]
    width = svg.width_of(words, 11) + 14
    return [
        svg.element(
            "rect",
            x=centre - width / 2,
            y=top + 11,
            width=width,
            height=19,
            rx=9.5,
            fill="#ffffff",
            stroke=colour,
            stroke_width=1.5,
            stroke_dasharray="4 3" if mark == "missing" else None,
        ),
        svg.text(
            centre,
            top + 24.5,
            words,
            font_size=11,
            text_anchor="middle",
            fill=colour if mark else INK,
            font_family="DejaVu Sans Mono, monospace",
        ),
        svg.element("circle", cx=centre, cy=bottom, r=3.5, fill=colour),
    ]


def _container(box: Box, x: float, top: float, height: float) -> str:
    """A container's box: its name, then its ports and note."""
    width = box.width()
    parts = [
        svg.title(f"container {box.name}"),
        svg.element(
            "rect", x=x, y=top, width=width, height=height, rx=6, fill="#ffffff", stroke=INK, stroke_width=1.5
        ),
        svg.text(
            x + width / 2,
            top + (19 if box.lines() else height / 2 + 5),
            box.name,
            font_weight="bold",
            font_size=13,
            text_anchor="middle",
            fill=INK,
        ),
    ]
    for number, line in enumerate(box.lines()):
        colour = MUTED if line == box.note else INK
        parts.append(
            svg.text(
                x + width / 2,
                top + 35 + number * LINE,
                line,
                font_size=11.5,
                text_anchor="middle",
                fill=colour,
            )
        )
    return svg.element("g", "".join(parts), class_="container")


def _apart(
    boxes: list[Box], corner: tuple[float, float], height: float, width: float
) -> tuple[list[str], float]:
    """Containers on none of the networks shown, in a dashed area whose top and left are `corner`."""
    top, left = corner
    xs = _columns(boxes, left)
    bottom = top + height + 20
    drawn = [
        svg.element(
            "rect",
            x=4,
            y=top,
            width=width - 4,
            height=bottom - top,
            rx=8,
            fill="#fafafa",
            stroke="#90a4ae",
            stroke_width=1.2,
            stroke_dasharray="5 4",
        ),
        svg.text(14, top + 22, "not on these networks", font_weight="bold", fill=MUTED),
    ]
    drawn += [_container(box, x, top + 10, height) for box, x in zip(boxes, xs, strict=False)]
    return drawn, bottom


def _apart_right(scene: Scene) -> list[float]:
    return [_columns(scene.apart, scene.left)[-1]] if scene.apart else []


def _legend(top: float) -> list[str]:
    """What the colours of a comparison mean."""
    y = top + 20
    items = [
        (MUTED, None, "attached as expected"),
        (MISSING, "6 4", "expected, missing"),
        (EXTRA, None, "extra: not expected"),
    ]
    drawn: list[str] = []
    x = 12.0
    for colour, dashes, words in items:
        drawn.append(
            svg.element(
                "line",
                x1=x,
                y1=y - 4,
                x2=x + 28,
                y2=y - 4,
                stroke=colour,
                stroke_width=2.5,
                stroke_dasharray=dashes,
            )
        )
        drawn.append(svg.text(x + 34, y, words, fill=colour if dashes or colour == EXTRA else INK))
        x += 34 + svg.width_of(words) + 30
    return drawn
