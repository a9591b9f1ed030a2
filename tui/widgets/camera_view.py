"""The camera in the terminal: each character cell shows two pixels with the upper half
block (▀): foreground = the upper pixel, background = the lower one. The frame is scaled
to fit, the skeleton and a framing guide are drawn on the scaled copy (cheap), and the
rows are kept as ready strips so Textual redraws without recomputing."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from flowlogic.pose.draw import draw_skeleton

HALF_BLOCK = "▀"
GUIDE_COLOUR = (170, 170, 170)  # BGR grey corner marks


def fit(frame_size: tuple[int, int], cells: tuple[int, int]) -> tuple[int, int]:
    """Pixel size (width, height) of the frame scaled into `cells` (columns, rows), where
    each cell is one pixel wide and two pixels high."""
    width, height = frame_size
    columns, rows = cells
    if width <= 0 or height <= 0 or columns <= 0 or rows <= 0:
        return (0, 0)
    scale = min(columns / width, (rows * 2) / height)
    return max(1, int(width * scale)), max(2, int(height * scale) // 2 * 2)


def draw_guide(image: np.ndarray, margin: float = 0.06) -> None:
    """Corner marks where the body should stay (in place)."""
    import cv2

    height, width = image.shape[:2]
    left, right = int(width * margin), int(width * (1 - margin)) - 1
    top, bottom = int(height * margin * 0.5), int(height * (1 - margin * 0.5)) - 1
    arm_x, arm_y = max(2, width // 8), max(2, height // 10)
    for x, y, dx, dy in (
        (left, top, 1, 1),
        (right, top, -1, 1),
        (left, bottom, 1, -1),
        (right, bottom, -1, -1),
    ):
        cv2.line(image, (x, y), (x + dx * arm_x, y), GUIDE_COLOUR, 1)
        cv2.line(image, (x, y), (x, y + dy * arm_y), GUIDE_COLOUR, 1)


_STYLES: dict[tuple[int, int], Style] = {}
_STYLE_CACHE_LIMIT = 60_000


def _style(top: int, bottom: int) -> Style:
    """The style of one cell, from two packed 0xRRGGBB colours (cached across frames:
    quantised colours repeat from one frame to the next)."""
    key = (top, bottom)
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) > _STYLE_CACHE_LIMIT:
            _STYLES.clear()
        style = Style(
            color=Color.from_rgb(top >> 16, (top >> 8) & 255, top & 255),
            bgcolor=Color.from_rgb(bottom >> 16, (bottom >> 8) & 255, bottom & 255),
        )
        _STYLES[key] = style
    return style


def to_strips(rgb: np.ndarray, columns: int) -> list[Strip]:
    """Rows of half-block segments for an RGB image of even height, centred in `columns`."""
    height, width = rgb.shape[:2]
    pad = max(0, (columns - width) // 2)
    # Quantise to 32 levels a channel: invisible at this size, and styles repeat more.
    quantised = (rgb[: height // 2 * 2] // 8 * 8 + 4).astype(np.int64)
    packed = (quantised[..., 0] << 16) | (quantised[..., 1] << 8) | quantised[..., 2]
    strips = []
    for top, bottom in zip(packed[0::2].tolist(), packed[1::2].tolist(), strict=True):
        segments = [Segment(" " * pad)] if pad else []
        segments.extend(Segment(HALF_BLOCK, _style(t, b)) for t, b in zip(top, bottom, strict=True))
        strips.append(Strip(segments, pad + width))
    return strips


class CameraView(Widget):
    """Shows BGR frames (with an optional pose) as half-block cells."""

    DEFAULT_CSS = """
    CameraView { width: 1fr; height: 1fr; background: $background; }
    """

    def __init__(self, *, guide: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.guide = guide
        self._strips: list[Strip] = []
        self.frames_shown = 0

    def show(self, frame_bgr: np.ndarray | None, landmarks: np.ndarray | None = None) -> None:
        import cv2

        if frame_bgr is None:
            return
        columns, rows = self.size.width, self.size.height
        width, height = fit((frame_bgr.shape[1], frame_bgr.shape[0]), (columns, rows))
        if width == 0:
            return
        if landmarks is not None:
            # Drawn at 4x and scaled down: thin, smooth bones instead of blocky blobs.
            big = cv2.resize(frame_bgr, (width * 4, height * 4), interpolation=cv2.INTER_AREA)
            big = draw_skeleton(big, landmarks, thickness=3)
            small = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
        else:
            small = cv2.resize(frame_bgr, (width, height), interpolation=cv2.INTER_AREA)
        if self.guide:
            draw_guide(small)
        top_pad = max(0, (rows - height // 2) // 2)
        self._strips = [Strip.blank(columns)] * top_pad + to_strips(
            cv2.cvtColor(small, cv2.COLOR_BGR2RGB), columns
        )
        self.frames_shown += 1
        self.refresh()

    def clear(self) -> None:
        self._strips = []
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y].extend_cell_length(self.size.width)
        return Strip.blank(self.size.width)
