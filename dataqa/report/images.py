"""Feature rows as small images: shape parsing and inline PNG thumbnails (no matplotlib).

A thumbnail is a grayscale PNG written with :mod:`zlib` and embedded as a
``data:image/png;base64,...`` URI, so a report needs no network and no image files.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Sequence

import numpy as np

from dataqa.errors import InvalidSettingError

__all__ = ["IMAGE_GRID_SIZES", "parse_image_shape", "image_shape_for", "check_image_option",
           "png_data_uri", "thumbnails"]

#: Feature counts read as a square image when no shape is given: 8x8, 16x16, 28x28, 32x32.
IMAGE_GRID_SIZES = (64, 256, 784, 1024)

_SHAPE = re.compile(r"^\s*(\d+)\s*[xX*]\s*(\d+)\s*$")


def parse_image_shape(text: str | Sequence[int] | None, *,
                      option: str = "--image-shape") -> tuple[int, int] | None:
    """``"HxW"`` (or a pair of ints) as ``(H, W)``; ``None`` stays ``None``.

    Raises
    ------
    InvalidSettingError
        When the text is not two positive integers joined by ``x``.
    """
    if text is None:
        return None
    if isinstance(text, str):
        m = _SHAPE.match(text)
        if m is None:
            raise InvalidSettingError(
                f"{option} {text!r} is not HEIGHTxWIDTH; write it as e.g. 8x8 or 28x28.")
        h, w = int(m.group(1)), int(m.group(2))
    else:
        try:
            h, w = (int(v) for v in text)
        except (TypeError, ValueError):
            raise InvalidSettingError(
                f"{option} must be two integers (height, width); got {text!r}.") from None
    if h < 1 or w < 1:
        raise InvalidSettingError(f"{option} {h}x{w} must have a positive height and width.")
    return h, w


def image_shape_for(n_features: int, image_shape: tuple[int, int] | None = None, *,
                    option: str = "--image-shape") -> tuple[int, int] | None:
    """The image shape of rows with ``n_features`` values, or ``None`` when they are no image.

    A given ``image_shape`` must hold exactly ``n_features`` pixels. Without one, feature
    counts in :data:`IMAGE_GRID_SIZES` are read as a square grid.

    Raises
    ------
    InvalidSettingError
        When ``image_shape`` does not match the number of features.
    """
    if image_shape is not None:
        h, w = image_shape
        if h * w != n_features:
            raise InvalidSettingError(
                f"{option} {h}x{w} has {h * w} pixels but the table has {n_features} feature "
                f"columns; give a shape whose height x width is {n_features}, or leave it out.")
        return h, w
    if n_features in IMAGE_GRID_SIZES:
        side = int(round(n_features ** 0.5))
        return side, side
    return None


def check_image_option(image_shape: str | None, *, text_column: str | None = None,
                       feature_columns: Sequence[str] | None = None) -> tuple[int, int] | None:
    """``--image-shape`` checked against the other audit options, before any work.

    The shape must parse, cannot go with a text column, and must hold as many pixels as
    the feature columns when those are named (with automatic feature columns the count is
    checked once the table is read, still before anything is written).
    """
    shape = parse_image_shape(image_shape)
    if shape is None:
        return None
    if text_column is not None:
        raise InvalidSettingError(
            f"--image-shape {shape[0]}x{shape[1]} shows numeric feature rows as images and "
            f"cannot go with --text-column {text_column!r}; drop one of them.")
    if feature_columns:
        image_shape_for(len(feature_columns), shape)
    return shape


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_data_uri(gray: np.ndarray) -> str:
    """An 8-bit grayscale image (H, W) of ``uint8`` as a ``data:image/png;base64`` URI."""
    img = np.ascontiguousarray(gray, dtype=np.uint8)
    h, w = img.shape
    raw = np.hstack([np.zeros((h, 1), np.uint8), img]).tobytes()  # filter byte 0 per row
    png = (b"\x89PNG\r\n\x1a\n"
           + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + _chunk(b"IDAT", zlib.compress(raw, 9))
           + _chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def thumbnails(rows: np.ndarray, shape: tuple[int, int], *, size: int = 56) -> list[str]:
    """Each row of ``rows`` (n, H*W) as a PNG data URI about ``size`` pixels across.

    One gray scale for all rows (their joint minimum to maximum), darker = higher value,
    as ink on paper; each pixel is repeated to reach the size (no smoothing).
    """
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), *shape)
    finite = x[np.isfinite(x)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scaled = np.zeros_like(x) if hi <= lo else (np.nan_to_num(x, nan=lo) - lo) / (hi - lo)
    gray = (255 - np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)
    k = max(1, int(round(size / max(shape))))
    return [png_data_uri(np.kron(g, np.ones((k, k), np.uint8))) for g in gray]
