"""Image handlers (scenario 3): CPU-bound work, done without extra libraries on
binary PPM (P6) files so the example runs anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class UnsupportedImage(Exception):
    """Not a file this handler can read: retrying will not help."""


def _read_ppm(data: bytes) -> tuple[int, int, bytes]:
    parts = data.split(maxsplit=4)
    if len(parts) < 5 or parts[0] != b"P6" or parts[3] != b"255":
        raise UnsupportedImage("expected a binary PPM (P6, 8-bit) image")
    width, height = int(parts[1]), int(parts[2])
    pixels = parts[4]
    if len(pixels) < width * height * 3:
        raise UnsupportedImage("truncated PPM image")
    return width, height, pixels


def resize_image(image_path: str, width: int, height: int) -> dict[str, Any]:
    """Nearest-neighbour resize; writes <name>_<w>x<h>.ppm beside the source."""
    if width <= 0 or height <= 0:
        raise UnsupportedImage(f"cannot resize to {width}x{height}")
    source = Path(image_path)
    src_w, src_h, pixels = _read_ppm(source.read_bytes())
    out = bytearray()
    for y in range(height):
        row = (y * src_h // height) * src_w
        for x in range(width):
            i = (row + x * src_w // width) * 3
            out += pixels[i : i + 3]
    target = source.with_name(f"{source.stem}_{width}x{height}.ppm")
    target.write_bytes(b"P6\n%d %d\n255\n" % (width, height) + bytes(out))
    return {"path": str(target), "width": width, "height": height}


def make_sample_image(path: str, width: int = 64, height: int = 48) -> str:
    """A gradient test image, for the demo and the tests."""
    pixels = bytes(
        value
        for y in range(height)
        for x in range(width)
        for value in (x * 255 // width, y * 255 // height, 128)
    )
    Path(path).write_bytes(b"P6\n%d %d\n255\n" % (width, height) + pixels)
    return path
