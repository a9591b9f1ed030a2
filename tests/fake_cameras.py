"""Cameras for tests that need no device."""

from __future__ import annotations

import time

import numpy as np

from flowlogic.capture.sources import Frame
from flowlogic.errors import InputRefused
from flowlogic.recording import CameraChoice


class LostCamera(CameraChoice):
    """A webcam that sends `good` grey frames at a camera's pace, then stops like an
    unplugged one."""

    def __init__(self, good: int) -> None:
        super().__init__(index=7)
        object.__setattr__(self, "_good", good)

    def open(self):
        good = self._good

        class Source:
            fps = 30.0

            def __iter__(self):
                for index in range(good):
                    time.sleep(1 / 30)  # a camera's pace: recording starts meanwhile
                    yield Frame(index, index / 30.0, np.full((120, 160, 3), 90, np.uint8))
                raise InputRefused("The camera stopped sending pictures.", code="CAMERA_LOST")

        return Source()
