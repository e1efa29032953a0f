"""The seal's image: a red round seal with the issuer's name along its upper edge, a
five-pointed star in the middle and the seal's purpose beneath it, drawn by the platform.

The image is what people see; what makes the seal a seal is the signature it stands on."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from lianban.documents.fonts import SANS_BOLD, find_font

RED = (218, 37, 29, 255)
SIZE = 420  # pixels; printed 42 mm wide, about 250 dpi


def _font(size: int) -> ImageFont.FreeTypeFont:
    face = find_font(SANS_BOLD)
    return ImageFont.truetype(str(face.path), size, index=face.index)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, outer: float) -> None:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def draw_seal(name: str, purpose: str) -> bytes:
    """The seal as a PNG with a transparent background."""
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = SIZE / 2
    ring = SIZE * 0.03
    draw.ellipse(
        (ring / 2, ring / 2, SIZE - ring / 2, SIZE - ring / 2), outline=RED, width=int(ring)
    )
    _star(draw, centre, centre, SIZE * 0.17)

    # The name runs clockwise along the upper edge, each character upright to the centre,
    # over an arc that widens with the number of characters (at most 240°).
    characters = list(name)
    glyph = int(SIZE * (0.115 if len(characters) <= 14 else 0.095))
    font = _font(glyph)
    radius = SIZE / 2 - ring - glyph * 0.72
    span = min(240.0, 17.0 * len(characters))
    step = span / max(len(characters) - 1, 1)
    start = -90 - span / 2
    for n, character in enumerate(characters):
        angle = start + step * n
        tile = Image.new("RGBA", (glyph * 2, glyph * 2), (255, 255, 255, 0))
        ImageDraw.Draw(tile).text((glyph, glyph), character, font=font, fill=RED, anchor="mm")
        tile = tile.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(math.radians(angle)) - glyph
        y = centre + radius * math.sin(math.radians(angle)) - glyph
        image.alpha_composite(tile, (round(x), round(y)))

    # The purpose, straight, below the star.
    small = _font(int(SIZE * 0.075))
    draw.text((centre, centre + SIZE * 0.27), purpose, font=small, fill=RED, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
