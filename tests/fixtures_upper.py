"""Constructed upper-body tracks, built from real landmarks with known answers.

The shared footage has no side-view shoulder flexion, wall slide, chin tuck or side-view
neck clip, and no clip with a real forward-and-back nod. The constructors here start
from real tracks and re-pose them to a known answer:

- `steady_loop` repeats a short real stretch of standing frames back and forth (real
  landmark jitter, no jumps) for as long as a protocol needs.
- Arms, head and trunk are re-posed per frame in image pixels and, with the same angles,
  in world metres, so 2-D and 3-D readings agree with what was put in. Points that are
  not moved keep their real values and visibilities.
- Side-on re-posing rotates in the picture's plane (the plane a side view sees); the
  front-view nod rotates Face Mesh points, pose head points and world points in 3-D
  about the head's own side axis.

Sign conventions: on screen (y down) `rotate_2d(v, a)` turns v by `a` degrees
clockwise as seen; `facing` is +1 when the person faces the picture's right.
Everything here is test support; nothing is copied into the product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from flowlogic.geometry.head_pose import face_axes, face_points_px, facing_sign, near_ear
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack

HEAD = tuple(range(11))  # nose, eyes, ears, mouth
UPPER_BODY = tuple(range(23))  # head, shoulders, arms, hands
HAND = ("pinky", "index", "thumb")
SIDES = ("left", "right")


# -- frames and time -----------------------------------------------------------------------


def retimed(track: PoseTrack, indices: Sequence[int] | np.ndarray) -> PoseTrack:
    """The frames `indices` of `track`, in that order, on a fresh regular time base."""
    indices = np.asarray(indices, dtype=int)
    face = None if track.face is None else track.face[indices]
    return replace(
        track,
        timestamps_s=np.arange(len(indices)) / track.fps,
        image=track.image[indices].copy(),
        world=track.world[indices].copy(),
        brightness=track.brightness[indices],
        faces=track.faces[indices],
        face=face,
        source_frames=len(indices),
    )


def steady_loop(track: PoseTrack, start_s: float, end_s: float, duration_s: float) -> PoseTrack:
    """The real frames between `start_s` and `end_s` played forward, backward, forward...
    until `duration_s` is filled (a still stretch of real landmarks of any length)."""
    window = np.flatnonzero((track.timestamps_s >= start_s) & (track.timestamps_s < end_s))
    if len(window) < 2:
        raise ValueError("the window needs at least two frames")
    cycle = np.concatenate([window, window[-2:0:-1]])
    frames = int(round(duration_s * track.fps))
    return retimed(track, np.resize(cycle, frames))


def joined(first: PoseTrack, second: PoseTrack) -> PoseTrack:
    """`second` played right after `first` (same camera and frame rate)."""
    face = None
    if first.face is not None and second.face is not None:
        face = np.concatenate([first.face, second.face])
    return replace(
        first,
        timestamps_s=np.arange(first.frames + second.frames) / first.fps,
        image=np.concatenate([first.image, second.image]),
        world=np.concatenate([first.world, second.world]),
        brightness=np.concatenate([first.brightness, second.brightness]),
        faces=np.concatenate([first.faces, second.faces]),
        face=face,
        source_frames=first.frames + second.frames,
    )


def shifted(track: PoseTrack, dy: float) -> PoseTrack:
    """Every image landmark (and Face Mesh point) moved down by `dy` frame heights, as if
    the camera were tilted up: same geometry, different framing."""
    image = track.image.copy()
    image[:, :, 1] += dy
    face = None
    if track.face is not None:
        face = track.face.copy()
        face[:, :, 1] += dy
    return replace(track, image=image, face=face)


def schedule(
    t: np.ndarray,
    starts_s: Sequence[float],
    *,
    peak: float | Sequence[float],
    base: float = 0.0,
    rise_s: float = 1.0,
    hold_s: float = 1.0,
    fall_s: float = 1.0,
) -> np.ndarray:
    """(T,) a value that rests at `base` and, from each start, ramps to its peak, holds,
    and ramps back (piecewise linear). `peak` may differ per start."""
    peaks = np.broadcast_to(np.asarray(peak, dtype=np.float64), (len(starts_s),))
    values = np.full(len(t), float(base))
    for start, top in zip(starts_s, peaks, strict=True):
        knots = [start, start + rise_s, start + rise_s + hold_s, start + rise_s + hold_s + fall_s]
        inside = (t >= knots[0]) & (t <= knots[-1])
        values[inside] = np.interp(t[inside], knots, [base, top, top, base])
    return values


# -- small geometry --------------------------------------------------------------------------


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def rotate_2d(v: np.ndarray, degrees: np.ndarray | float) -> np.ndarray:
    """Turn 2-D vectors (y down) by `degrees`, clockwise as seen on screen."""
    r = np.radians(degrees)
    c, s = np.cos(r), np.sin(r)
    x, y = v[..., 0], v[..., 1]
    return np.stack([c * x - s * y, s * x + c * y], axis=-1)


def rotate_about(
    points: np.ndarray, pivot: np.ndarray, axis: np.ndarray, degrees: np.ndarray
) -> np.ndarray:
    """Rodrigues rotation of (T, K, 3) points about per-frame (T, 3) pivots and unit axes."""
    r = np.radians(degrees)[:, None, None]
    k = axis[:, None, :]
    v = points - pivot[:, None, :]
    rotated = (
        v * np.cos(r)
        + np.cross(np.broadcast_to(k, v.shape), v) * np.sin(r)
        + k * np.sum(k * v, axis=-1, keepdims=True) * (1 - np.cos(r))
    )
    return rotated + pivot[:, None, :]


def _pixels(track: PoseTrack) -> np.ndarray:
    """(T, 33, 3) image landmarks in pixels, depth on the x scale."""
    scale = np.array([track.frame_width, track.frame_height, track.frame_width], float)
    return track.image[:, :, :3].astype(np.float64) * scale


def _with_pixels(track: PoseTrack, pixels: np.ndarray, world: np.ndarray) -> PoseTrack:
    scale = np.array([track.frame_width, track.frame_height, track.frame_width], float)
    image = track.image.copy()
    image[:, :, :3] = pixels / scale
    return replace(track, image=image, world=world.astype(np.float32))


def facing_of(track: PoseTrack) -> float:
    """+1 facing the picture's right, -1 facing left (nose against the ears)."""
    ears = (track.image[:, L.LEFT_EAR, 0] + track.image[:, L.RIGHT_EAR, 0]) / 2
    return facing_sign(ears, track.image[:, L.NOSE, 0])


def _world_sagittal(track: PoseTrack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame world unit vectors (down along the trunk, forward, the person's left)."""
    w = track.world.astype(np.float64)
    hips = (w[:, L.LEFT_HIP] + w[:, L.RIGHT_HIP]) / 2
    shoulders = (w[:, L.LEFT_SHOULDER] + w[:, L.RIGHT_SHOULDER]) / 2
    down = unit(hips - shoulders)
    ears = (w[:, L.LEFT_EAR] + w[:, L.RIGHT_EAR]) / 2
    raw = w[:, L.NOSE] - ears
    forward = unit(raw - np.sum(raw * down, axis=1, keepdims=True) * down)
    left = np.cross(down, forward)
    towards_left = w[:, L.LEFT_SHOULDER] - w[:, L.RIGHT_SHOULDER]
    sign = np.sign(np.sum(left * towards_left, axis=1, keepdims=True))
    return down, forward, left * np.where(sign == 0, 1.0, sign)


def _arm_indices(side: str) -> list[int]:
    return [int(sided(n, side)) for n in ("elbow", "wrist", *HAND)]


def _sagittal_turn(
    points: np.ndarray,
    pivot: np.ndarray,
    down: np.ndarray,
    forward: np.ndarray,
    degrees: np.ndarray,
) -> np.ndarray:
    """World (T, K, 3) points turned about per-frame pivots in the plane of `down` and
    `forward`: positive degrees turn `forward` toward `down` (a nod, a forward lean),
    negative toward up (looking up, leaning back)."""
    v = points - pivot[:, None, :]
    d, f = down[:, None, :], forward[:, None, :]
    along_down = np.sum(v * d, axis=2, keepdims=True)
    along_forward = np.sum(v * f, axis=2, keepdims=True)
    rest = v - along_down * d - along_forward * f
    r = np.radians(degrees)[:, None, None]
    new_forward = np.cos(r) * f + np.sin(r) * d
    new_down = -np.sin(r) * f + np.cos(r) * d
    return pivot[:, None, :] + along_down * new_down + along_forward * new_forward + rest


# -- arms -----------------------------------------------------------------------------------


def raise_arms(
    track: PoseTrack,
    elevation_deg: np.ndarray,
    *,
    elbow_bend_deg: np.ndarray | float = 0.0,
    sides: Sequence[str] = SIDES,
) -> PoseTrack:
    """Both arms (or `sides`) raised forward in the sagittal plane: the upper arm at
    `elevation_deg` (T,) from the shoulder -> hip line (the catalog's humerus-vs-trunk
    angle, exactly), the forearm bent a further `elbow_bend_deg` forward-up. Side view:
    rotation in the picture's plane toward the way the person faces; the real segment
    lengths of the hanging arm are kept."""
    t_count = track.frames
    elevation = np.broadcast_to(np.asarray(elevation_deg, float), (t_count,))
    bend = np.broadcast_to(np.asarray(elbow_bend_deg, float), (t_count,))
    facing = facing_of(track)
    pixels = _pixels(track)
    world = track.world.astype(np.float64).copy()
    down_w, forward_w, _ = _world_sagittal(track)
    for side in sides:
        s, e, w, h = (int(sided(n, side)) for n in ("shoulder", "elbow", "wrist", "hip"))
        upper = np.nanmedian(np.linalg.norm(pixels[:, e, :2] - pixels[:, s, :2], axis=1))
        fore = np.nanmedian(np.linalg.norm(pixels[:, w, :2] - pixels[:, e, :2], axis=1))
        down = unit(pixels[:, h, :2] - pixels[:, s, :2])
        humerus = rotate_2d(down, -facing * elevation)
        forearm = rotate_2d(down, -facing * (elevation + bend))
        elbow = pixels[:, s, :2] + upper * humerus
        wrist = elbow + fore * forearm
        pixels[:, e, :2] = elbow
        pixels[:, w, :2] = wrist
        for name in HAND:
            pixels[:, sided(name, side), :2] = wrist + 0.2 * fore * forearm

        upper_w = np.nanmedian(np.linalg.norm(world[:, e] - world[:, s], axis=1))
        fore_w = np.nanmedian(np.linalg.norm(world[:, w] - world[:, e], axis=1))
        a, b = np.radians(elevation)[:, None], np.radians(elevation + bend)[:, None]
        elbow_w = world[:, s] + upper_w * (np.cos(a) * down_w + np.sin(a) * forward_w)
        wrist_w = elbow_w + fore_w * (np.cos(b) * down_w + np.sin(b) * forward_w)
        world[:, e], world[:, w] = elbow_w, wrist_w
        for name in HAND:
            world[:, sided(name, side)] = wrist_w + 0.2 * (wrist_w - elbow_w)
    return _with_pixels(track, pixels, world)


def wall_slide_arms(
    track: PoseTrack,
    elevation_deg: np.ndarray,
    *,
    peak_deg: float,
    departure: np.ndarray | float = 0.0,
    sides: Sequence[str] = SIDES,
) -> PoseTrack:
    """Arms against a wall behind the body, side view: the upper arm raised sideways in
    the body's frontal plane to `elevation_deg` (T,) from the shoulder -> hip line (W at
    90°, Y at `peak_deg`), the elbow bent 90° in the W and straight at the Y. Side-on
    that plane is seen edge-on: the arm moves only along the trunk line, and
    `departure` (torso lengths, + = forward of the trunk line) moves elbow and wrist off
    the wall."""
    t_count = track.frames
    elevation = np.broadcast_to(np.asarray(elevation_deg, float), (t_count,))
    away = np.broadcast_to(np.asarray(departure, float), (t_count,))
    progress = np.clip((elevation - 90.0) / max(peak_deg - 90.0, 1e-6), 0.0, 1.0)
    forearm_elevation = elevation + 90.0 * (1.0 - progress)  # W: forearm points up
    facing = facing_of(track)
    pixels = _pixels(track)
    world = track.world.astype(np.float64).copy()
    down_w, forward_w, left_w = _world_sagittal(track)
    hips = (pixels[:, L.LEFT_HIP, :2] + pixels[:, L.RIGHT_HIP, :2]) / 2
    shoulders = (pixels[:, L.LEFT_SHOULDER, :2] + pixels[:, L.RIGHT_SHOULDER, :2]) / 2
    torso = float(np.nanmedian(np.linalg.norm(hips - shoulders, axis=1)))
    w_hips = (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP]) / 2
    w_shoulders = (world[:, L.LEFT_SHOULDER] + world[:, L.RIGHT_SHOULDER]) / 2
    torso_w = float(np.nanmedian(np.linalg.norm(w_hips - w_shoulders, axis=1)))
    for side in sides:
        s, e, w, h = (int(sided(n, side)) for n in ("shoulder", "elbow", "wrist", "hip"))
        upper = np.nanmedian(np.linalg.norm(pixels[:, e, :2] - pixels[:, s, :2], axis=1))
        fore = np.nanmedian(np.linalg.norm(pixels[:, w, :2] - pixels[:, e, :2], axis=1))
        down = unit(pixels[:, h, :2] - pixels[:, s, :2])
        ahead = rotate_2d(down, -facing * 90.0)  # unit normal, toward the face
        a, b = np.radians(elevation)[:, None], np.radians(forearm_elevation)[:, None]
        off = (away * torso)[:, None] * ahead
        elbow = pixels[:, s, :2] + upper * np.cos(a) * down + off
        wrist = elbow + fore * np.cos(b) * down
        pixels[:, e, :2], pixels[:, w, :2] = elbow, wrist
        for name in HAND:
            pixels[:, sided(name, side), :2] = wrist + 0.2 * (wrist - elbow)

        upper_w = np.nanmedian(np.linalg.norm(world[:, e] - world[:, s], axis=1))
        fore_w = np.nanmedian(np.linalg.norm(world[:, w] - world[:, e], axis=1))
        lateral = left_w if side == "left" else -left_w
        off_w = (away * torso_w)[:, None] * forward_w
        elbow_w = world[:, s] + upper_w * (np.cos(a) * down_w + np.sin(a) * lateral) + off_w
        wrist_w = elbow_w + fore_w * (np.cos(b) * down_w + np.sin(b) * lateral)
        world[:, e], world[:, w] = elbow_w, wrist_w
        for name in HAND:
            world[:, sided(name, side)] = wrist_w + 0.2 * (wrist_w - elbow_w)
    return _with_pixels(track, pixels, world)


def shrug(track: PoseTrack, lift: np.ndarray, sides: Sequence[str] = SIDES) -> PoseTrack:
    """Shoulders (with their arms) lifted toward the ears by `lift` (T,) times that
    side's ear-to-shoulder height."""
    pixels = _pixels(track)
    world = track.world.astype(np.float64).copy()
    lift = np.asarray(lift, float)
    for side in sides:
        s, ear = int(sided("shoulder", side)), int(sided("ear", side))
        chain = [s, *_arm_indices(side)]
        neck = np.nanmedian(pixels[:, s, 1] - pixels[:, ear, 1])
        neck_w = np.nanmedian(world[:, s, 1] - world[:, ear, 1])
        pixels[:, chain, 1] -= (lift * neck)[:, None]
        world[:, chain, 1] -= (lift * neck_w)[:, None]
    return _with_pixels(track, pixels, world)


def lean_back(track: PoseTrack, lean_deg: np.ndarray) -> PoseTrack:
    """The whole upper body (head, shoulders, arms) tipped back about the hips by
    `lean_deg` (T,) in the sagittal plane (negative = forward)."""
    lean = np.asarray(lean_deg, float)
    facing = facing_of(track)
    pixels = _pixels(track)
    hips = (pixels[:, L.LEFT_HIP, :2] + pixels[:, L.RIGHT_HIP, :2]) / 2
    moved = pixels[:, UPPER_BODY, :2] - hips[:, None, :]
    pixels[:, UPPER_BODY, :2] = hips[:, None, :] + rotate_2d(moved, -facing * lean[:, None])

    world = track.world.astype(np.float64).copy()
    down, forward, _ = _world_sagittal(track)
    w_hips = (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP]) / 2
    world[:, UPPER_BODY] = _sagittal_turn(world[:, UPPER_BODY], w_hips, down, forward, -lean)
    return _with_pixels(track, pixels, world)


# -- head -----------------------------------------------------------------------------------


def nod_side_view(track: PoseTrack, pitch_deg: np.ndarray, pivot: str = "neck") -> PoseTrack:
    """Side view: the head points turned in the picture's plane by `pitch_deg` (T,)
    (positive = chin down), about the middle of the neck (`pivot="neck"`) or the near
    ear (`pivot="ear"`). World head points turn by the same angle about the world side
    axis."""
    pitch = np.asarray(pitch_deg, float)
    facing = facing_of(track)
    near = near_ear(track)
    ear, shoulder = int(sided("ear", near)), int(sided("shoulder", near))
    pixels = _pixels(track)
    centre = pixels[:, ear, :2]
    if pivot == "neck":
        centre = (pixels[:, ear, :2] + pixels[:, shoulder, :2]) / 2
    moved = pixels[:, HEAD, :2] - centre[:, None, :]
    pixels[:, HEAD, :2] = centre[:, None, :] + rotate_2d(moved, facing * pitch[:, None])

    world = track.world.astype(np.float64).copy()
    down, forward, _ = _world_sagittal(track)
    w_centre = world[:, ear] if pivot == "ear" else (world[:, ear] + world[:, shoulder]) / 2
    world[:, HEAD] = _sagittal_turn(world[:, HEAD], w_centre, down, forward, pitch)
    return _with_pixels(track, pixels, world)


def _pose_side_axis(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    ears = (points[:, L.LEFT_EAR] + points[:, L.RIGHT_EAR]) / 2
    raw = points[:, L.NOSE] - ears
    forward = unit(raw - np.sum(raw * up, axis=1, keepdims=True) * up)
    return unit(np.cross(up, forward))


def nod_front_view(track: PoseTrack, pitch_deg: np.ndarray) -> PoseTrack:
    """Facing the camera: Face Mesh points, pose head points (image, with depth) and
    world head points turned in 3-D by `pitch_deg` (T,) about the head's own side axis
    (positive = chin down), pivoting at the middle of the neck."""
    pitch = np.asarray(pitch_deg, float)
    t_count = track.frames
    pixels = _pixels(track)
    ears = (pixels[:, L.LEFT_EAR] + pixels[:, L.RIGHT_EAR]) / 2
    shoulders = (pixels[:, L.LEFT_SHOULDER] + pixels[:, L.RIGHT_SHOULDER]) / 2
    neck = (ears + shoulders) / 2
    up = np.broadcast_to(np.array([0.0, -1.0, 0.0]), (t_count, 3))
    pixels[:, HEAD] = rotate_about(pixels[:, HEAD], neck, _pose_side_axis(pixels, up), pitch)

    world = track.world.astype(np.float64).copy()
    w_neck = (world[:, L.LEFT_EAR] + world[:, L.RIGHT_EAR]) / 4
    w_neck += (world[:, L.LEFT_SHOULDER] + world[:, L.RIGHT_SHOULDER]) / 4
    world[:, HEAD] = rotate_about(world[:, HEAD], w_neck, _pose_side_axis(world, up), pitch)

    face = track.face
    if face is not None:
        points = face_points_px(face, track.frame_width, track.frame_height)
        side_axis = face_axes(points)[:, 2]
        pivot = np.concatenate([neck[:, :2], np.nanmean(points[:, :, 2:], axis=1)], axis=1)
        points = rotate_about(points, pivot, side_axis, pitch)
        scale = np.array([track.frame_width, track.frame_height, track.frame_width], float)
        face = (points / scale).astype(np.float32)
    return replace(_with_pixels(track, pixels, world), face=face)


def retract_head(track: PoseTrack, retraction: np.ndarray) -> PoseTrack:
    """Side view: the head points slid straight back (away from the way the person
    faces) by `retraction` (T,) times the near ear-to-nose length, without turning."""
    amount = np.asarray(retraction, float)
    facing = facing_of(track)
    pixels = _pixels(track)
    ear = int(sided("ear", near_ear(track)))
    head = np.nanmedian(np.linalg.norm(pixels[:, L.NOSE, :2] - pixels[:, ear, :2], axis=1))
    pixels[:, HEAD, 0] -= (facing * amount * head)[:, None]

    world = track.world.astype(np.float64).copy()
    _, forward, _ = _world_sagittal(track)
    head_w = np.nanmedian(np.linalg.norm(world[:, L.NOSE] - world[:, ear], axis=1))
    world[:, HEAD] -= (amount * head_w)[:, None, None] * forward[:, None, :]
    face = track.face
    if face is not None:
        face = face.copy()
        face[:, :, 0] -= (facing * amount * head / track.frame_width)[:, None]
    return replace(_with_pixels(track, pixels, world), face=face)
