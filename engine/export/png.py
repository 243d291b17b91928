"""A fast PNG writer for the pictures `analyze` draws.

Pillow picks a filter per row by trying all five, which is most of its time on a wide strip; the "Up"
filter alone (each byte minus the one above it), computed with numpy, and zlib at level 1 write the same
strip in a third of the time for a file about as big.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # the PNG filter type of every row
_RGB = 2  # the PNG colour type: 8-bit red, green, blue


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(image: Image.Image, text: dict[str, str] | None = None) -> bytes:
    """``image`` (RGB) as a PNG file, with ``text`` as tEXt fields (Latin-1 keys and values)."""
    if image.mode != "RGB":
        raise ValueError(f"an RGB image, not {image.mode}")
    width, height = image.size
    pixels = np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(height, width * 3)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = _UP
    rows[0, 1:] = pixels[0]  # the first row's "above" is zeros
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # wraps modulo 256, as the filter wants
    header = struct.pack(">IIBBBBB", width, height, 8, _RGB, 0, 0, 0)
    fields = b"".join(
        _chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1")) for key, value in (text or {}).items()
    )
    pixels_chunk = _chunk(b"IDAT", zlib.compress(rows.data, 1))
    return _SIGNATURE + _chunk(b"IHDR", header) + fields + pixels_chunk + _chunk(b"IEND", b"")
