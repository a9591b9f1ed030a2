"""Head pitch (nodding), turn and side tilt, for the neck tests (1, 13).

One convention everywhere: pitch in degrees relative to a neutral reference, positive =
flexion (chin toward the chest), negative = extension (looking up).

Sources, best first:

- **Face Mesh** (468 points in `PoseTrack.face`: normalised x, y and a depth z on x's
  scale). A head frame from points fixed on the skull: `up` from chin to forehead,
  `forward` from the middle of the two face sides to the nose tip. Pitch is the
  elevation of `forward` below the camera's horizontal, minus its neutral value. The
  neck turns about the body's vertical axis, which is the picture's vertical for an
  upright person, so turning the head (yaw) or tipping it to a shoulder (roll) leaves
  this pitch nearly unchanged; a pitch measured in the head's own frame does not have
  that property (its `up` leans back from the turning axis). Side-on, `forward` lies
  in the picture and the pitch is as good as a 2-D angle; facing the camera it points
  into the picture and rests on the model's depth guess.
- **Pose, side view**: the in-picture rotation of the ear -> nose line.
- **Pose, front view**: the elevation of the ear -> nose line in world landmarks (an
  estimate: it rests on the pose model's depth).

Face Mesh finds no face in a full profile at 2-3 m (none in any frame of two real
side-view clips of the shared footage), so side-on the pose source is the usual one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from flowlogic.geometry.angles import signed_angle_2d
from flowlogic.geometry.smoothing import fill_short_gaps, one_euro
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack

# Face Mesh points used here (MediaPipe's canonical face model numbering).
FOREHEAD = 10
CHIN = 152
NOSE_TIP = 1
FACE_SIDE_PERSON_RIGHT = 234  # face outline beside the person's right ear
FACE_SIDE_PERSON_LEFT = 454  # face outline beside the person's left ear


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / norm


def _nanmedian(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmedian(values)) if values.size else float("nan")


# -- Face Mesh -----------------------------------------------------------------------------


def face_points_px(face: np.ndarray, frame_width: int, frame_height: int) -> np.ndarray:
    """(T, 468, 3) Face Mesh points in pixels: x, y, and depth on the x scale."""
    scale = np.array([frame_width, frame_height, frame_width], dtype=np.float64)
    return np.asarray(face, dtype=np.float64) * scale


def face_axes(points_px: np.ndarray) -> np.ndarray:
    """(T, 3, 3) head axes from Face Mesh points in pixels: rows `up`, `forward`, `side`.

    `up` runs chin -> forehead; `forward` runs from between the face sides to the nose
    tip, made perpendicular to `up`; `side` = up x forward. Built from points only, so
    a mirrored track gives mirrored axes (and `side` flips, as a mirror swaps sides).
    """
    up = _unit(points_px[:, FOREHEAD] - points_px[:, CHIN])
    middle = (points_px[:, FACE_SIDE_PERSON_RIGHT] + points_px[:, FACE_SIDE_PERSON_LEFT]) / 2
    raw_forward = points_px[:, NOSE_TIP] - middle
    forward = _unit(raw_forward - np.sum(raw_forward * up, axis=-1, keepdims=True) * up)
    side = np.cross(up, forward)
    return np.stack([up, forward, side], axis=1)


def head_angles_deg(axes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Absolute (T,) pitch, yaw and roll of head axes against the camera, in degrees.

    Pitch: `forward` below the horizontal (image y points down, so nose down = positive).
    Yaw: `forward`'s bearing around the vertical (0 = facing the camera).
    Roll: `side` tipping out of the horizontal (a head tilted to one shoulder).
    Subtract a neutral value before use; yaw and roll change sign in a mirrored track.
    """
    forward, side = axes[:, 1], axes[:, 2]
    with np.errstate(invalid="ignore"):
        pitch = np.degrees(np.arcsin(np.clip(forward[:, 1], -1.0, 1.0)))
        yaw = np.degrees(np.arctan2(forward[:, 0], -forward[:, 2]))
        roll = np.degrees(np.arcsin(np.clip(side[:, 1], -1.0, 1.0)))
    return pitch, yaw, roll


def face_height_px(points_px: np.ndarray) -> np.ndarray:
    """(T,) forehead-to-chin distance in pixels (3-D, so nodding does not shorten it)."""
    return np.linalg.norm(points_px[:, FOREHEAD] - points_px[:, CHIN], axis=-1)


# -- pose landmarks --------------------------------------------------------------------------


def profile_pitch_deg(back: np.ndarray, front: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(T,) pitch from a side view: the in-picture rotation of the head line back -> front
    (e.g. ear -> nose) against its mean direction over the `neutral` frames.

    Pixel coordinates (T, 2). The person faces the way `front` lies from `back`; a
    rotation that lowers the front point is flexion (positive), whichever way they face.
    """
    line = np.asarray(front, dtype=np.float64) - np.asarray(back, dtype=np.float64)
    neutral_lines = _unit(line[np.asarray(neutral, dtype=bool)])
    neutral_lines = neutral_lines[np.all(np.isfinite(neutral_lines), axis=1)]
    if len(neutral_lines) == 0:
        return np.full(len(line), np.nan)
    reference = _unit(neutral_lines.mean(axis=0))
    facing = 1.0 if reference[0] >= 0 else -1.0
    # signed_angle_2d is counter-clockwise on screen; facing right, lowering the nose
    # turns the line clockwise.
    return -facing * signed_angle_2d(np.broadcast_to(reference, line.shape), line)


def world_pitch_deg(back: np.ndarray, front: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(T,) pitch from world landmarks (metres, y down): the elevation of back -> front
    below the horizontal, minus its median over the `neutral` frames."""
    line = np.asarray(front, dtype=np.float64) - np.asarray(back, dtype=np.float64)
    horizontal = np.hypot(line[:, 0], line[:, 2])
    elevation = np.degrees(np.arctan2(line[:, 1], horizontal))
    return elevation - _nanmedian(elevation[np.asarray(neutral, dtype=bool)])


def facing_sign(back_x: np.ndarray, front_x: np.ndarray) -> float:
    """+1 when the person faces the picture's right (the front point, e.g. the nose,
    right of the back point, e.g. the ear, over most frames), -1 when they face left."""
    median = _nanmedian(np.asarray(front_x, dtype=np.float64) - np.asarray(back_x))
    return 1.0 if not np.isfinite(median) or median >= 0 else -1.0


def near_ear(track: PoseTrack) -> str:
    """The side whose ear MediaPipe sees better (the one facing the camera side-on)."""
    vis = track.visibility
    return "left" if vis[:, L.LEFT_EAR].mean() >= vis[:, L.RIGHT_EAR].mean() else "right"


# -- one call for the scorers -------------------------------------------------------------


@dataclass(frozen=True)
class HeadPitch:
    """Head pitch over a clip (degrees, flexion positive, NaN where unseen)."""

    pitch_deg: np.ndarray
    yaw_deg: np.ndarray | None  # Face Mesh only
    roll_deg: np.ndarray | None  # Face Mesh only
    source: str  # "face_mesh", "pose_profile" or "pose_world"
    estimated: bool  # True when the view cannot see the nod in the picture's plane

    @property
    def seen(self) -> np.ndarray:
        return np.isfinite(self.pitch_deg)


def neutral_frames(track: PoseTrack, seconds: float) -> np.ndarray:
    """(T,) the first `seconds` after the first frame with a pose: the neutral start."""
    present = np.flatnonzero(track.present)
    if present.size == 0:
        return np.zeros(track.frames, dtype=bool)
    start = track.timestamps_s[present[0]]
    return track.present & (track.timestamps_s < start + seconds)


def face_coverage(track: PoseTrack) -> float:
    """Share of frames in which Face Mesh found the face (0 when it did not run)."""
    if track.face is None or track.frames == 0:
        return 0.0
    return float(np.isfinite(track.face[:, NOSE_TIP, 0]).mean())


def _smooth_degrees(values: np.ndarray, track: PoseTrack, max_gap_s: float) -> np.ndarray:
    filled = fill_short_gaps(values, max(1, round(max_gap_s * track.fps)))
    return one_euro(filled, track.timestamps_s, min_cutoff_hz=1.5, beta=0.05)


def head_pitch(
    track: PoseTrack,
    xy: np.ndarray,
    view: str,
    neutral: np.ndarray,
    *,
    min_face_coverage: float = 0.5,
    max_gap_s: float = 0.25,
) -> HeadPitch:
    """Smoothed head pitch relative to the `neutral` frames, from the best source the
    clip offers (Face Mesh when it saw the face in enough frames, else pose landmarks).

    `xy` are the gated pixel landmarks (T, 33, 2) the scorer already prepared.
    """
    if face_coverage(track) >= min_face_coverage:
        axes = face_axes(face_points_px(track.face, track.frame_width, track.frame_height))
        pitch, yaw, roll = head_angles_deg(axes)
        relative = [v - _nanmedian(v[neutral]) for v in (pitch, yaw, roll)]
        pitch, yaw, roll = (_smooth_degrees(v, track, max_gap_s) for v in relative)
        return HeadPitch(pitch, yaw, roll, "face_mesh", estimated=view != "side")
    if view == "side":
        ear = xy[:, sided("ear", near_ear(track))]
        pitch = profile_pitch_deg(ear, xy[:, L.NOSE], neutral)
        return HeadPitch(
            _smooth_degrees(pitch, track, max_gap_s), None, None, "pose_profile", False
        )
    world = track.world.astype(np.float64)
    ears = (world[:, L.LEFT_EAR] + world[:, L.RIGHT_EAR]) / 2
    pitch = world_pitch_deg(ears, world[:, L.NOSE], neutral)
    return HeadPitch(_smooth_degrees(pitch, track, max_gap_s), None, None, "pose_world", True)
