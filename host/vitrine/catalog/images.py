"""Product pictures drawn as SVG, for the sample catalogue and the demo: a garment (shirt,
dress, trousers, jacket, knit, skirt) or an accessory (scarf, belt, bag, shoes, hat) as a
plain silhouette in the variant's colour, filled with a woven fabric (weave, herringbone,
stripes, check, dots) drawn in fine lines and a thread texture, so zooming in on the glass
shows the cloth. Every picture is a 600 x 800 viewBox, well under 20 KB, and the same for the
same arguments (the seed varies pattern scale, stripe direction, folds and buttons)."""

from __future__ import annotations

import random
from xml.sax.saxutils import escape, quoteattr

GARMENTS = ("shirt", "dress", "trousers", "jacket", "knit", "skirt")
ACCESSORIES = ("scarf", "belt", "bag", "shoes", "hat")
KINDS = GARMENTS + ACCESSORIES
PATTERNS = ("weave", "herringbone", "stripes", "check", "dots")
WIDTH, HEIGHT = 600, 800

_METAL = "#b9b2a4"
_SHIRT_WHITE = "#f1eee8"
_HEX_DIGITS = 6  # rrggbb
_LIGHT_LUMA = 0.55  # a colour above this luma is light: a darker outline and dark contrast
_TURNED_STRIPES = 0.4  # the share of striped pieces whose stripes run the other way


def draw(kind: str, colour_hex: str, pattern: str = "weave", seed: int = 0, title: str = "") -> str:
    """An SVG document of a `kind` in `colour_hex` ("#rrggbb") with a `pattern` fabric."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; allowed: {', '.join(PATTERNS)}")
    rgb = _rgb(colour_hex)
    svg = _Drawing(rgb, random.Random(f"{kind}:{colour_hex}:{pattern}:{seed}"))
    svg.fabric(pattern)
    _DRAWERS[kind](svg)
    return svg.document(title or f"{kind}, {colour_hex}, {pattern}")


# -- colours -----------------------------------------------------------------------------


def _rgb(colour_hex: str) -> tuple[int, int, int]:
    text = colour_hex.lstrip("#")
    if len(text) != _HEX_DIGITS:
        raise ValueError(f"colour {colour_hex!r} is not #rrggbb")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _mix(rgb: tuple[int, int, int], other: tuple[int, int, int], t: float) -> str:
    return _hex(tuple(a + (b - a) * t for a, b in zip(rgb, other, strict=True)))  # type: ignore[arg-type]


def _luma(rgb: tuple[int, int, int]) -> float:
    r, g, b = (c / 255 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _n(x: float) -> str:
    # Coordinates with one decimal at most: small files, same text for the same numbers.
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


# -- the drawing -----------------------------------------------------------------------------


class _Drawing:
    """The parts of one picture: definitions (fabric, gradients, shapes) and what is drawn,
    in order. A fabric piece is a path filled with the colour, the fabric, the thread texture
    and a shading gradient, then outlined."""

    def __init__(self, rgb: tuple[int, int, int], rng: random.Random) -> None:
        self.rng = rng
        self.base = _hex(rgb)
        light = _luma(rgb) > _LIGHT_LUMA
        self.outline = _mix(rgb, (0, 0, 0), 0.45 if light else 0.55)
        self.contrast = _mix(rgb, (0, 0, 0), 0.3) if light else _mix(rgb, (255, 255, 255), 0.3)
        self.deep = _mix(rgb, (0, 0, 0), 0.35)
        self.soft = _mix(rgb, (255, 255, 255), 0.18)
        self.stitch = _mix(rgb, (0, 0, 0), 0.3) if light else _mix(rgb, (255, 255, 255), 0.35)
        self.defs: list[str] = []
        self.body: list[str] = []
        self.pieces = 0

    def fabric(self, pattern: str) -> None:
        scale = self.rng.uniform(0.85, 1.2)
        self.defs.append(_PATTERNS[pattern](self, scale))
        self.defs.append(
            '<pattern id="thread" patternUnits="userSpaceOnUse" width="3" height="3">'
            '<path d="M0 .75H3M0 2.25H3" stroke="#000" stroke-opacity=".09" '
            'stroke-width=".4"/><path d="M.75 0V3M2.25 0V3" stroke="#fff" '
            'stroke-opacity=".08" stroke-width=".4"/></pattern>'
            '<linearGradient id="shade" x1="0" y1="0" x2="1" y2=".25">'
            '<stop offset="0" stop-color="#fff" stop-opacity=".16"/>'
            '<stop offset=".45" stop-color="#fff" stop-opacity="0"/>'
            '<stop offset="1" stop-color="#000" stop-opacity=".26"/></linearGradient>'
            '<radialGradient id="bg" cx=".5" cy=".42" r=".75">'
            '<stop offset="0" stop-color="#f8f6f2"/><stop offset="1" stop-color="#e2ded6"/>'
            "</radialGradient>"
        )

    def piece(self, d: str, transform: str = "", details: str = "") -> None:
        """A fabric piece: the shape d, with details (seams, folds) clipped to it."""
        i = self.pieces = self.pieces + 1
        move = f' transform="{transform}"' if transform else ""
        self.defs.append(f'<path id="p{i}" d="{d}"{move}/>')
        self.defs.append(f'<clipPath id="c{i}"><use href="#p{i}"/></clipPath>')
        self.body.append(
            f'<use href="#p{i}" fill="{self.base}"/>'
            f'<use href="#p{i}" fill="url(#fabric)"/>'
            f'<use href="#p{i}" fill="url(#thread)"/>'
            f'<use href="#p{i}" fill="url(#shade)"/>'
        )
        if details:
            self.body.append(f'<g clip-path="url(#c{i})">{details}</g>')
        self.body.append(
            f'<use href="#p{i}" fill="none" stroke="{self.outline}" stroke-width="2.5" '
            'stroke-linejoin="round"/>'
        )

    def add(self, element: str) -> None:
        self.body.append(element)

    def seam(self, d: str, width: float = 1.2) -> str:
        """A row of stitches along d."""
        return (
            f'<path d="{d}" fill="none" stroke="{self.stitch}" stroke-width="{_n(width)}" '
            'stroke-dasharray="5 3" stroke-linecap="round"/>'
        )

    def line(self, d: str, width: float = 2.0, opacity: float = 0.5) -> str:
        """A soft line in the outline colour: a fold, a crease, a pleat."""
        return (
            f'<path d="{d}" fill="none" stroke="{self.outline}" stroke-width="{_n(width)}" '
            f'stroke-opacity="{opacity:.2f}" stroke-linecap="round"/>'
        )

    def folds(self, x0: float, x1: float, y0: float, y1: float, count: int) -> str:
        """A few soft vertical folds between x0..x1, from y0 down to y1."""
        out = []
        for _ in range(count):
            x = self.rng.uniform(x0, x1)
            top = self.rng.uniform(y0, y0 + (y1 - y0) * 0.3)
            bend = self.rng.uniform(-14, 14)
            out.append(
                self.line(
                    f"M{_n(x)} {_n(top)}Q{_n(x + bend)} {_n((top + y1) / 2)} "
                    f"{_n(x + bend / 2)} {_n(y1)}",
                    width=self.rng.uniform(1.5, 3.5),
                    opacity=self.rng.uniform(0.12, 0.25),
                )
            )
        return "".join(out)

    def button(self, x: float, y: float, r: float = 6.5) -> str:
        return (
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{self.soft}" '
            f'stroke="{self.outline}" stroke-width="1.2"/>'
            f'<circle cx="{_n(x - r / 3)}" cy="{_n(y)}" r=".9" fill="{self.outline}"/>'
            f'<circle cx="{_n(x + r / 3)}" cy="{_n(y)}" r=".9" fill="{self.outline}"/>'
        )

    def document(self, title: str) -> str:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 800" width="600" '
            f'height="800" role="img" aria-label={quoteattr(title)}>'
            f"<title>{escape(title)}</title>"
            f"<defs>{''.join(self.defs)}</defs>"
            '<rect width="600" height="800" fill="url(#bg)"/>'
            '<ellipse cx="300" cy="752" rx="210" ry="16" fill="#000" fill-opacity=".1"/>'
            f"{''.join(self.body)}</svg>\n"
        )


# -- fabrics: one tile each, fine lines in shades of the colour ------------------------------


def _weave(svg: _Drawing, scale: float) -> str:
    # Plain weave: threads over and under in a two-by-two tile, each cell showing its yarns.
    c = 3.2 * scale
    t = 2 * c
    third = c / 3
    yarn = f'stroke="{svg.deep}" stroke-opacity=".35" stroke-width="{_n(c * 0.12)}" fill="none"'
    return (
        f'<pattern id="fabric" patternUnits="userSpaceOnUse" width="{_n(t)}" height="{_n(t)}">'
        f'<rect width="{_n(c)}" height="{_n(c)}" fill="{svg.soft}" fill-opacity=".45"/>'
        f'<rect x="{_n(c)}" y="{_n(c)}" width="{_n(c)}" height="{_n(c)}" fill="{svg.soft}" '
        'fill-opacity=".45"/>'
        f'<path d="M0 {third:.2f}H{c:.2f}M0 {2 * third:.2f}H{c:.2f}'
        f"M{c:.2f} {c + third:.2f}H{t:.2f}M{c:.2f} {c + 2 * third:.2f}H{t:.2f}"
        f'" {yarn}/>'
        f'<path d="M{c + third:.2f} 0V{c:.2f}M{c + 2 * third:.2f} 0V{c:.2f}'
        f"M{third:.2f} {c:.2f}V{t:.2f}M{2 * third:.2f} {c:.2f}V{t:.2f}"
        f'" {yarn}/>'
        "</pattern>"
    )


def _herringbone(svg: _Drawing, scale: float) -> str:
    # Columns of short diagonal twill lines, each column leaning the other way.
    c = 9 * scale
    step = c / 4
    left, right = [], []
    k = -c
    while k < c + 0.01:
        left.append(f"M0 {k + c:.2f}L{c:.2f} {k:.2f}")
        right.append(f"M{c:.2f} {k:.2f}L{2 * c:.2f} {k + c:.2f}")
        k += step
    width = f'stroke-width="{c * 0.09:.2f}"'
    return (
        f'<pattern id="fabric" patternUnits="userSpaceOnUse" width="{2 * c:.2f}" '
        f'height="{c:.2f}">'
        f'<path d="{"".join(left)}" stroke="{svg.contrast}" stroke-opacity=".55" {width}/>'
        f'<path d="{"".join(right)}" stroke="{svg.deep}" stroke-opacity=".45" {width}/>'
        f'<path d="M{c:.2f} 0V{c:.2f}" stroke="{svg.deep}" stroke-opacity=".3" '
        'stroke-width=".5"/></pattern>'
    )


def _stripes(svg: _Drawing, scale: float) -> str:
    # A broad stripe, a pinstripe beside it, each with its own yarn lines.
    w = 26 * scale
    band = w * svg.rng.uniform(0.25, 0.45)
    turn = ' patternTransform="rotate(90)"' if svg.rng.random() < _TURNED_STRIPES else ""
    return (
        f'<pattern id="fabric" patternUnits="userSpaceOnUse" width="{w:.2f}" height="4"{turn}>'
        f'<rect width="{band:.2f}" height="4" fill="{svg.contrast}" fill-opacity=".75"/>'
        f'<path d="M{band * 0.25:.2f} 0V4M{band * 0.5:.2f} 0V4M{band * 0.75:.2f} 0V4" '
        f'stroke="{svg.deep}" stroke-opacity=".25" stroke-width=".35"/>'
        f'<rect x="{band + (w - band) / 2:.2f}" width=".7" height="4" fill="{svg.contrast}"/>'
        "</pattern>"
    )


def _check(svg: _Drawing, scale: float) -> str:
    # Tartan-like check: translucent bands across and down, fine over-check lines.
    c = 44 * scale
    band = c * 0.3
    fine = c * 0.72
    return (
        f'<pattern id="fabric" patternUnits="userSpaceOnUse" width="{c:.2f}" height="{c:.2f}">'
        f'<rect width="{c:.2f}" height="{band:.2f}" fill="{svg.deep}" fill-opacity=".28"/>'
        f'<rect width="{band:.2f}" height="{c:.2f}" fill="{svg.deep}" fill-opacity=".28"/>'
        f'<path d="M0 {fine:.2f}H{c:.2f}M{fine:.2f} 0V{c:.2f}" stroke="{svg.contrast}" '
        'stroke-width="1.3"/>'
        f'<path d="M0 {band / 2:.2f}H{c:.2f}M{band / 2:.2f} 0V{c:.2f}" stroke="{svg.soft}" '
        'stroke-opacity=".6" stroke-width=".5"/>'
        "</pattern>"
    )


def _dots(svg: _Drawing, scale: float) -> str:
    # A spot print: dots on a half-drop grid, with a pin dot between them.
    c = 16 * scale
    r = c * 0.15
    return (
        f'<pattern id="fabric" patternUnits="userSpaceOnUse" width="{c:.2f}" height="{c:.2f}">'
        f'<circle cx="{c / 4:.2f}" cy="{c / 4:.2f}" r="{r:.2f}" fill="{svg.contrast}"/>'
        f'<circle cx="{3 * c / 4:.2f}" cy="{3 * c / 4:.2f}" r="{r:.2f}" fill="{svg.contrast}"/>'
        f'<circle cx="{3 * c / 4:.2f}" cy="{c / 4:.2f}" r="{r / 4:.2f}" fill="{svg.deep}"/>'
        f'<circle cx="{c / 4:.2f}" cy="{3 * c / 4:.2f}" r="{r / 4:.2f}" fill="{svg.deep}"/>'
        "</pattern>"
    )


_PATTERNS = {
    "weave": _weave,
    "herringbone": _herringbone,
    "stripes": _stripes,
    "check": _check,
    "dots": _dots,
}


# -- garments --------------------------------------------------------------------------------


def _shirt(svg: _Drawing) -> None:
    d = (
        "M232 108Q300 136 368 108L452 136L560 330L506 362L456 256L462 700"
        "Q300 728 138 700L144 256L94 362L40 330L148 136Z"
    )
    buttons = svg.rng.randint(5, 7)
    details = (
        svg.seam("M292 128V712")
        + svg.seam("M308 128V712")
        + svg.seam("M186 246H246V318Q216 330 186 318Z")
        + svg.seam("M514 350L466 262M86 350L134 262", 1.0)
        + svg.folds(170, 430, 330, 700, 4)
    )
    svg.piece(d, details=details)
    collar = "M232 108L300 168L262 96ZM368 108L300 168L338 96Z"
    svg.piece(collar)
    for i in range(buttons):
        svg.add(svg.button(300, 196 + i * (470 / buttons)))


def _jacket(svg: _Drawing) -> None:
    d = (
        "M236 96L364 96L462 128Q502 140 512 192L548 604L490 616L466 300L472 724"
        "L128 724L134 300L110 616L52 604L88 192Q98 140 138 128Z"
    )
    details = (
        svg.seam("M158 566H246M354 566H442", 1.4)
        + svg.line("M158 560H246M354 560H442", 2.5, 0.45)
        + svg.seam("M485 600L462 306M115 600L138 306", 1.0)
        + svg.folds(160, 440, 440, 720, 3)
        + svg.line("M300 420V724", 2.0, 0.5)
    )
    svg.piece(d, details=details)
    shirt = (
        f'<path d="M236 96L300 420L364 96Z" fill="{_SHIRT_WHITE}" stroke="{svg.outline}" '
        'stroke-width="2"/><path d="M280 96L300 150L320 96" fill="none" stroke="#c9c4ba" '
        'stroke-width="2"/>'
    )
    svg.add(shirt)
    svg.piece("M236 96L204 170L238 196L300 420L250 160Z")
    svg.piece("M364 96L396 170L362 196L300 420L350 160Z")
    svg.add(svg.button(312, 462, 8) + svg.button(312, 530, 8))


def _knit(svg: _Drawing) -> None:
    d = (
        "M240 114Q300 150 360 114L452 140Q502 152 516 212L560 560L500 574L462 302L466 700"
        "L134 700L138 302L100 574L40 560L84 212Q98 152 148 140Z"
    )
    rib = "".join(f"M{x} 652V702" for x in range(136, 466, 6))
    cuff = "".join(f"M{x} 520V580" for x in range(36, 566, 6))
    details = (
        svg.line(rib, 1.1, 0.35)
        + svg.line("M134 652H466", 2.0, 0.4)
        + svg.line(cuff, 1.0, 0.3)
        + svg.line("M46 522L104 534M554 522L496 534", 2.0, 0.4)
        + svg.folds(170, 430, 320, 640, 4)
    )
    svg.piece(d, details=details)
    neck = "M240 114Q300 150 360 114L352 132Q300 166 248 132Z"
    neck_rib = "".join(f"M{x} 116V160" for x in range(242, 360, 5))
    svg.piece(neck, details=svg.line(neck_rib, 0.9, 0.35))


def _dress(svg: _Drawing) -> None:
    d = (
        "M248 90L262 90Q300 150 338 90L352 90L376 180Q366 250 362 330L500 724"
        "Q300 764 100 724L238 330Q234 250 224 180Z"
    )
    pleats = "".join(
        svg.line(f"M{_n(300 + dx)} 336L{_n(300 + dx * 3.1)} 736", 1.8, 0.22)
        for dx in (-48, -24, 0, 24, 48)
    )
    details = (
        svg.seam("M238 330Q300 344 362 330", 1.3)
        + svg.line("M238 326Q300 340 362 326", 2.5, 0.4)
        + pleats
        + svg.line("M258 190Q300 206 342 190", 1.5, 0.25)
    )
    svg.piece(d, details=details)


def _skirt(svg: _Drawing) -> None:
    d = "M198 170L402 170L406 222L504 668Q300 712 96 668L194 222Z"
    pleats = "".join(
        svg.line(f"M{_n(300 + dx)} 224L{_n(300 + dx * 2.4)} 700", 2.0, 0.28)
        for dx in (-80, -48, -16, 16, 48, 80)
    )
    details = (
        svg.line("M194 222H406", 2.5, 0.45)
        + svg.seam("M196 180H404M196 212H404", 1.0)
        + pleats
        + svg.seam("M102 652Q300 694 498 652", 1.2)
    )
    svg.piece(d, details=details)
    svg.add(svg.button(382, 196, 7))


def _trousers(svg: _Drawing) -> None:
    d = "M194 88L406 88L414 140L442 740L322 740L300 292L278 740L158 740L186 140Z"
    loops = "".join(
        f'<rect x="{x}" y="86" width="10" height="46" rx="2" fill="{svg.base}" '
        f'stroke="{svg.outline}" stroke-width="1.2"/>'
        for x in (205, 262, 328, 385)
    )
    details = (
        svg.line("M188 132H412", 2.5, 0.45)
        + svg.seam("M190 124H410", 1.0)
        + svg.seam("M300 134V262Q300 280 282 286", 1.2)
        + svg.line("M196 150Q236 170 246 212M404 150Q364 170 354 212", 2.0, 0.45)
        + svg.line("M232 170L218 740M368 170L382 740", 1.6, 0.3)
        + svg.seam("M162 722H276M324 722H438", 1.0)
    )
    svg.piece(d, details=details)
    svg.add(loops + svg.button(300, 108, 7))


# -- accessories -----------------------------------------------------------------------------


def _scarf(svg: _Drawing) -> None:
    d = "M190 130Q300 40 410 130L412 620L332 620L346 170Q300 122 254 170L290 690L210 690Z"
    details = (
        svg.folds(214, 286, 200, 690, 2)
        + svg.folds(340, 406, 200, 620, 2)
        + svg.seam("M214 676H286M336 606H408", 1.0)
    )
    svg.piece(d, details=details)
    fringe = "".join(f"M{x} 690V{718 + (x * 7) % 9}" for x in range(213, 290, 6)) + "".join(
        f"M{x} 620V{648 + (x * 5) % 9}" for x in range(335, 412, 6)
    )
    svg.add(f'<path d="{fringe}" stroke="{svg.deep}" stroke-width="2.2" stroke-linecap="round"/>')


def _belt(svg: _Drawing) -> None:
    turn = "rotate(-14 300 400)"
    d = "M150 370H520Q560 370 572 400Q560 430 520 430H150Z"
    details = svg.seam("M150 379H528M150 421H528", 1.1) + "".join(
        f'<circle cx="{x}" cy="400" r="4.5" fill="{svg.deep}"/>' for x in (420, 452, 484)
    )
    svg.piece(d, turn, details)
    svg.add(
        f'<g transform="{turn}"><rect x="84" y="352" width="80" height="96" rx="10" '
        f'fill="none" stroke="{_METAL}" stroke-width="11"/>'
        f'<path d="M90 400H196" stroke="{_METAL}" stroke-width="6" stroke-linecap="round"/>'
        f'<rect x="200" y="366" width="26" height="68" rx="3" fill="{svg.base}" '
        f'stroke="{svg.outline}" stroke-width="2"/></g>'
    )


def _bag(svg: _Drawing) -> None:
    back = (
        f'<path d="M226 336C222 168 378 168 374 336" fill="none" stroke="{svg.deep}" '
        'stroke-width="16" stroke-linecap="round"/>'
    )
    svg.add(back)
    d = "M150 330L450 330L482 700Q300 716 118 700Z"
    details = (
        svg.line("M146 378H454", 2.5, 0.4)
        + svg.seam("M148 370H452M124 686Q300 702 476 686", 1.1)
        + svg.folds(180, 420, 390, 690, 3)
    )
    svg.piece(d, details=details)
    front = (
        f'<path d="M206 334C200 150 400 150 394 334" fill="none" stroke="{svg.outline}" '
        'stroke-width="18" stroke-linecap="round"/>'
        f'<path d="M206 334C200 150 400 150 394 334" fill="none" stroke="{svg.stitch}" '
        'stroke-width="1" stroke-dasharray="5 3"/>'
        f'<rect x="284" y="360" width="32" height="22" rx="4" fill="{_METAL}"/>'
    )
    svg.add(front)


def _shoes(svg: _Drawing) -> None:
    shoe = (
        "M80 520Q70 600 86 640L500 652Q546 644 540 610Q530 572 440 540L330 482"
        "Q300 470 270 490Q200 522 150 506Q110 494 80 520Z"
    )
    sole = "M84 628L504 640Q544 634 542 612Q550 640 532 656Q516 668 496 668L88 660Q78 646 84 628Z"

    def one(transform: str) -> None:
        svg.piece(
            shoe,
            transform,
            svg.seam("M96 536Q180 530 270 500M330 494L440 552", 1.1)
            + svg.line("M300 478Q330 520 392 532", 1.6, 0.35),
        )
        svg.add(
            f'<path d="{sole}" transform="{transform}" fill="#3a3631" stroke="#221f1b" '
            'stroke-width="2"/>'
        )

    one("translate(36 -118) scale(.96)")
    one("translate(0 40)")


def _hat(svg: _Drawing) -> None:
    brim = "M86 508Q92 462 300 462Q508 462 514 508Q516 552 300 556Q84 552 86 508Z"
    crown = "M186 500Q174 330 232 288Q300 322 368 288Q426 330 414 500Q300 526 186 500Z"
    svg.piece(brim, details=svg.seam("M112 512Q300 548 488 512", 1.1))
    svg.piece(crown, details=svg.line("M300 316Q292 380 300 440", 2.5, 0.3))
    band = "M190 456Q300 482 410 456L414 500Q300 526 186 500Z"
    svg.add(
        f'<path d="{band}" fill="{svg.deep}" stroke="{svg.outline}" stroke-width="2"/>'
        f'<path d="M196 470Q300 494 404 470" fill="none" stroke="{svg.contrast}" '
        'stroke-width="1" stroke-opacity=".6"/>'
    )


_DRAWERS = {
    "shirt": _shirt,
    "dress": _dress,
    "trousers": _trousers,
    "jacket": _jacket,
    "knit": _knit,
    "skirt": _skirt,
    "scarf": _scarf,
    "belt": _belt,
    "bag": _bag,
    "shoes": _shoes,
    "hat": _hat,
}
