"""A panel of networks as bands and the containers attached below them, drawn as SVG from a `Scene`:
no engine involved."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.course.pictures import svg

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


def ordered(boxes: list[Box], networks: list[str]) -> list[Box]:
    """Boxes grouped by the networks they are on, then by name."""
    index = {name: position for position, name in enumerate(networks)}
    return sorted(boxes, key=lambda box: (sorted(index[name] for name in box.addresses), box.name))


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


def legend(top: float) -> list[str]:
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
