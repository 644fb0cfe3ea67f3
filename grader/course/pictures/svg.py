"""SVG as text: escaped elements and the picture a notebook cell shows."""

from __future__ import annotations

from dataclasses import dataclass

from grader.safe_text import xml_text

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
CHAR_WIDTH = 7.0  # an estimate of one character's width at 12px, for layout


@dataclass(frozen=True)
class Picture:
    """An SVG drawing: a notebook cell shows it, `.svg` holds its text."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


def escape(text: object) -> str:
    """`text` safe inside an XML element or a double-quoted attribute: controls, bidi overrides and
    undecodable bytes shown as visible marks, nothing XML cannot hold."""
    clean = xml_text(str(text))
    return (
        clean.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _attrs(attributes: dict[str, object]) -> str:
    """`key="value"` pairs; underscores in keys become dashes, None values are left out."""
    pairs = (f'{key.rstrip("_").replace("_", "-")}="{escape(value)}"' for key, value in attributes.items())
    return " ".join(pair for pair, value in zip(pairs, attributes.values(), strict=True) if value is not None)


def element(tag: str, content: str = "", **attributes: object) -> str:
    """One element; `content` is markup already escaped (use `text` for words)."""
    opening = f"{tag} {_attrs(attributes)}".rstrip()
    return f"<{opening}>{content}</{tag}>" if content else f"<{opening}/>"


def text(x: float, y: float, words: str, **attributes: object) -> str:
    """A `<text>` holding `words`, escaped."""
    return element("text", escape(words), x=round(x, 1), y=round(y, 1), **attributes)


def title(words: str) -> str:
    """A tooltip for the element it is placed in."""
    return element("title", escape(words))


def shorten(words: str, limit: int) -> str:
    """`words` on one line, cut to `limit` characters with an ellipsis."""
    line = " ".join(words.split())
    return line if len(line) <= limit else line[: max(limit - 1, 0)] + "…"


def width_of(words: str, size: float = 12) -> float:
    """Roughly how wide `words` are at font size `size`."""
    return len(words) * CHAR_WIDTH * size / 12


def document(width: float, height: float, body: list[str], label: str) -> Picture:
    """A whole SVG of the given size around `body`, titled `label` for screen readers."""
    width, height = round(width), round(height)
    opening = _attrs(
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": width,
            "height": height,
            "viewBox": f"0 0 {width} {height}",
            "font_family": FONT,
            "font_size": 12,
            "role": "img",
        }
    )
    inner = "\n".join([title(label), element("rect", width=width, height=height, fill="#ffffff"), *body])
    return Picture(f"<svg {opening}>\n{inner}\n</svg>")
