"""Constructed pose tracks for tests 5 (90-90), 6 (knee-to-wall) and 8 (lateral lunge).

There is no real footage of a knee-to-wall test or of the 90-90 test, and the one real
lateral-lunge clip lunges to one side only. These builders start from real MediaPipe
tracks of real people (real landmark jitter, visibility and body proportions) and re-pose
only the limb a test measures, through angles the test chooses, so a scorer can be checked
against a known answer. Each builder says what it changes and what it keeps.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from flowlogic.geometry.angles import angle_at
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack

SIDES = ("left", "right")


# -- generic track surgery ----------------------------------------------------------------


def frames_of(track: PoseTrack, indices) -> PoseTrack:
    """The given frames, in the given order, re-timed at the track's frame rate."""
    indices = np.asarray(indices, dtype=int)
    return replace(
        track,
        timestamps_s=np.arange(len(indices)) / track.fps,
        image=track.image[indices].copy(),
        world=track.world[indices].copy(),
        brightness=track.brightness[indices].copy(),
        faces=track.faces[indices].copy(),
        face=None,
    )


def ping_pong(track: PoseTrack, first: int, last: int, seconds: float) -> PoseTrack:
    """Frames first..last played forward and back until `seconds` are filled: a still
    stretch of a real clip made longer without jumps."""
    cycle = list(range(first, last + 1)) + list(range(last - 1, first, -1))
    count = round(seconds * track.fps)
    return frames_of(track, [cycle[i % len(cycle)] for i in range(count)])


def concat(*tracks: PoseTrack) -> PoseTrack:
    """Tracks one after the other (same frame size and rate), timestamps continuing."""
    first = tracks[0]
    return replace(
        first,
        timestamps_s=np.arange(sum(t.frames for t in tracks)) / first.fps,
        image=np.concatenate([t.image for t in tracks]),
        world=np.concatenate([t.world for t in tracks]),
        brightness=np.concatenate([t.brightness for t in tracks]),
        faces=np.concatenate([t.faces for t in tracks]),
        face=None,
    )


def transition(a: PoseTrack, b: PoseTrack, seconds: float) -> PoseTrack:
    """A linear blend from a's last frame to b's first frame (a turn, standing up): no
    landmark jumps between the two parts of a joined clip."""
    count = max(2, round(seconds * a.fps))
    weights = np.linspace(0.0, 1.0, count + 2)[1:-1]

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        shape = (count,) + (1,) * x.ndim
        return (1 - weights.reshape(shape)) * x[None] + weights.reshape(shape) * y[None]

    return replace(
        a,
        timestamps_s=np.arange(count) / a.fps,
        image=mix(a.image[-1], b.image[0]).astype(a.image.dtype),
        world=mix(a.world[-1], b.world[0]).astype(a.world.dtype),
        brightness=np.full(count, (a.brightness[-1] + b.brightness[0]) / 2),
        faces=np.full(count, -1, dtype=a.faces.dtype),
        face=None,
    )


def pixels(track: PoseTrack) -> np.ndarray:
    return track.xy


def with_pixels(track: PoseTrack, xy: np.ndarray) -> PoseTrack:
    """The track with image x, y replaced by pixel positions `xy` (T, 33, 2)."""
    image = track.image.copy()
    image[:, :, 0] = xy[:, :, 0] / track.frame_width
    image[:, :, 1] = xy[:, :, 1] / track.frame_height
    return replace(track, image=image)


def eased(t: np.ndarray, keyframes: list[tuple[float, float]]) -> np.ndarray:
    """A value through (time, value) keyframes with cosine easing between them; held
    before the first and after the last."""
    times = np.array([k[0] for k in keyframes], dtype=float)
    values = np.array([k[1] for k in keyframes], dtype=float)
    out = np.interp(t, times, values)
    for (t0, v0), (t1, v1) in itertools.pairwise(keyframes):
        inside = (t >= t0) & (t < t1)
        phase = (t[inside] - t0) / (t1 - t0)
        out[inside] = v0 + (v1 - v0) * (1 - np.cos(np.pi * phase)) / 2
    return out


def _rotate_2d(vectors: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rotate (T, 2) image vectors by per-frame angles (positive = counter-clockwise on
    screen, image y pointing down)."""
    rad = np.radians(degrees)
    cos, sin = np.cos(rad), np.sin(rad)
    x, y = vectors[:, 0], vectors[:, 1]
    return np.stack([x * cos + y * sin, -x * sin + y * cos], axis=1)


# -- test 6: knee-to-wall -----------------------------------------------------------------


def knee_drive_profile(
    t: np.ndarray, peaks_deg: list[float], rest_deg: float, lead_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Shank angle over time: rest, then per rep 1 s up, 0.6 s held at the peak, 1 s down,
    0.4 s rest. Also returns each frame's rep number (-1 at rest)."""
    keyframes = [(0.0, rest_deg)]
    rep_of = np.full(len(t), -1)
    start = lead_s
    for i, peak in enumerate(peaks_deg):
        keyframes += [(start, rest_deg), (start + 1.0, peak), (start + 1.6, peak)]
        keyframes += [(start + 2.6, rest_deg)]
        rep_of[(t >= start) & (t < start + 2.6)] = i
        start += 3.0
    keyframes.append((start, rest_deg))
    return eased(t, keyframes), rep_of


def knee_to_wall(
    base: PoseTrack,
    side: str,
    peaks_deg: list[float],
    *,
    rest_deg: float = 5.0,
    heel_lift_reps: tuple[int, ...] = (),
    heel_rise_foot_lengths: float = 0.45,
) -> PoseTrack:
    """A knee-to-wall test on `side`, built on a real side-view track in which `side` is
    the front leg. Changed: that side's knee, placed so the ankle->knee line stands at the
    profile's angle forward of vertical (real shank length); on `heel_lift_reps` the heel
    and ankle also roll up about the toe in step with the knee. Kept: everything else as
    the model saw it, including the ankle, heel and toe jitter, the rest of the body, the
    hips (the thigh stretches a little, which no scorer reads) and the world landmarks.
    The base must be at least 3 s per rep + 2 s long."""
    needed = 1.0 + 3.0 * len(peaks_deg) + 1.0
    base = frames_of(base, range(min(base.frames, round(needed * base.fps))))
    xy = pixels(base)
    t = base.timestamps_s
    knee, ankle = sided("knee", side), sided("ankle", side)
    heel, toe = sided("heel", side), sided("foot_index", side)
    facing = float(np.sign(np.nanmedian(xy[:, toe, 0] - xy[:, heel, 0])))
    shank = float(np.nanmedian(np.linalg.norm(xy[:, knee] - xy[:, ankle], axis=1)))
    angle, rep_of = knee_drive_profile(t, peaks_deg, rest_deg)

    lift_max = np.degrees(np.arcsin(min(heel_rise_foot_lengths, 0.95)))
    lift = np.zeros(len(t))
    for rep in heel_lift_reps:
        frames = rep_of == rep
        lift[frames] = lift_max * (angle[frames] - rest_deg) / (peaks_deg[rep] - rest_deg)
    # heel up = rotating heel and ankle about the toe; on screen that turn is clockwise
    # when the toes point to the right
    turn = -facing * lift
    for point in (heel, ankle):
        xy[:, point] = xy[:, toe] + _rotate_2d(xy[:, point] - xy[:, toe], turn)
    rad = np.radians(angle)
    xy[:, knee, 0] = xy[:, ankle, 0] + shank * np.sin(rad) * facing
    xy[:, knee, 1] = xy[:, ankle, 1] - shank * np.cos(rad)
    return with_pixels(base, xy)


def knee_to_wall_both_sides(
    base: PoseTrack,
    front_side: str,
    first_peaks: list[float],
    second_peaks: list[float],
    *,
    heel_lift_reps: tuple[int, ...] = (),
) -> PoseTrack:
    """Both legs in one clip: `front_side` first (on the start of `base`), then the person
    "turns around" (a 1 s blend) and the other leg is tested on the mirrored continuation
    of `base` (mirroring swaps the labels, so the other side becomes the front leg).
    `heel_lift_reps` applies to the first leg."""
    per_leg_s = 1.0 + 3.0 * max(len(first_peaks), len(second_peaks)) + 1.0
    split = round(per_leg_s * base.fps)
    first = knee_to_wall(base, front_side, first_peaks, heel_lift_reps=heel_lift_reps)
    rest = frames_of(base, range(split, min(base.frames, 2 * split))).mirrored()
    second_side = "left" if front_side == "right" else "right"
    second = knee_to_wall(rest, second_side, second_peaks)
    return concat(first, transition(first, second, 1.0), second)


# -- test 8: lateral lunge ----------------------------------------------------------------


def lunge_weight(xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) 0 standing .. 1 at the deepest lunge to `side` (knee-bend difference)."""
    bend = {
        s: angle_at(xy[:, sided("hip", s)], xy[:, sided("knee", s)], xy[:, sided("ankle", s)])
        for s in SIDES
    }
    other = "right" if side == "left" else "left"
    difference = np.nan_to_num(bend[other] - bend[side], nan=0.0)
    return np.clip((difference - 12.0) / (np.max(difference) - 12.0), 0.0, 1.0)


def lunges_both_sides(track: PoseTrack) -> PoseTrack:
    """The real one-sided lateral-lunge clip followed by its mirror image (a 0.5 s blend
    between): lunges to both sides, equally deep by construction."""
    mirrored = track.mirrored()
    return concat(track, transition(track, mirrored, 0.5), mirrored)


def cave_knee(track: PoseTrack, side: str, hip_widths: float) -> PoseTrack:
    """Move `side`'s knee toward the midline by `hip_widths` at the deepest lunge to that
    side, in proportion to the lunge depth (untouched when standing)."""
    xy = pixels(track)
    weight = lunge_weight(xy, side)
    own, other = (
        xy[:, sided("hip", side)],
        xy[:, sided("hip", "right" if side == "left" else "left")],
    )
    width = np.nanmedian(np.linalg.norm(own - other, axis=1))
    inward = np.sign(other[:, 0] - own[:, 0])
    xy[:, sided("knee", side), 0] += inward * hip_widths * width * weight
    return with_pixels(track, xy)


def shallower_lunges(track: PoseTrack, side: str, keep: float) -> PoseTrack:
    """Make the lunges to `side` shallower: every landmark is moved from its real place
    toward the person's real standing pose (the clip's most upright frame) in proportion
    to the lunge depth, so at the deepest point the body has gone `keep` of the real way
    down (pelvis, knees and trunk together). Other frames are untouched."""
    xy = pixels(track)
    weight = (1.0 - keep) * lunge_weight(xy, side)
    pelvis_y = (xy[:, L.LEFT_HIP, 1] + xy[:, L.RIGHT_HIP, 1]) / 2
    standing = int(np.nanargmin(pelvis_y))
    xy = xy + weight[:, None, None] * (xy[standing][None] - xy)
    return with_pixels(track, xy)


def tilt_trunk(track: PoseTrack, side: str, degrees: float) -> PoseTrack:
    """Lean everything above the hips further toward `side` by `degrees` at the deepest
    lunge to that side, in proportion to the lunge depth (rotation about the mid-hip)."""
    xy = pixels(track)
    weight = lunge_weight(xy, side)
    pelvis = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    own, other = (
        xy[:, sided("hip", side)],
        xy[:, sided("hip", "right" if side == "left" else "left")],
    )
    toward = np.sign(own[:, 0] - other[:, 0])
    # on screen, leaning toward image right is a clockwise turn of the upper body
    turn = -toward * degrees * weight
    for index in range(int(L.LEFT_HIP)):
        xy[:, index] = pelvis + _rotate_2d(xy[:, index] - pelvis, turn)
    return with_pixels(track, xy)


# -- test 5: 90-90 ------------------------------------------------------------------------


def _scale_about(track: PoseTrack, factor: float, centre_px: np.ndarray) -> PoseTrack:
    """Zoom the whole pose in the picture (camera further away when factor < 1)."""
    xy = pixels(track)
    return with_pixels(track, centre_px + (xy - centre_px) * factor)


def _axis_rotation(vectors: np.ndarray, axis: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rodrigues rotation of (T, 3) vectors about per-frame unit axes (T, 3)."""
    rad = np.radians(degrees)[:, None]
    cross = np.cross(axis, vectors)
    dot = np.sum(axis * vectors, axis=1, keepdims=True)
    return vectors * np.cos(rad) + cross * np.sin(rad) + axis * dot * (1 - np.cos(rad))


def hip_rotation_profile(t: np.ndarray, ir_deg: float, er_deg: float, start_s: float) -> np.ndarray:
    """Shin angle: rest (vertical), 1 s out to +IR, 0.4 s held, 1 s back, 1 s in to -ER,
    0.4 s held, 1 s back."""
    s = start_s
    keyframes = [(s, 0.0), (s + 1.0, ir_deg), (s + 1.4, ir_deg), (s + 2.4, 0.0)]
    keyframes += [(s + 3.4, -er_deg), (s + 3.8, -er_deg), (s + 4.8, 0.0)]
    return eased(t, keyframes)


def seated_hip_rotation(
    base: PoseTrack,
    left: tuple[float, float] | None,
    right: tuple[float, float] | None,
    *,
    zoom: float = 0.6,
) -> PoseTrack:
    """Seated hip rotation built on a real seated front-view track (the seated man in
    shoulder_neck/sagor_neck_flexion_front.mp4, whose shins run out of the bottom of his
    picture). Changed: the whole pose is zoomed out to fit the frame (as from a camera
    further away); each tested shin (ankle, heel, toe) is set to the profile's angle from
    vertical about the real knee (positive = foot out = internal rotation), left leg from
    1 s, right leg from 6.5 s, with the real shank length; shin visibility is set to the
    knee's (the points are now inside the picture); world shin points are turned by the
    same angles about the model's own thigh axis, so the 3-D knee bend stays real.
    Kept: the real upper body, hips, knees, jitter and everything else.
    `left` / `right` are (IR, ER) in degrees, None for a leg that stays still."""
    centre = np.array([base.frame_width * 0.5, base.frame_height * 0.35])
    track = _scale_about(base, zoom, centre)
    xy = pixels(track)
    image = track.image.copy()
    world = track.world.astype(np.float64).copy()
    t = track.timestamps_s
    for side, angles, start in (("left", left, 1.0), ("right", right, 6.5)):
        knee, ankle = sided("knee", side), sided("ankle", side)
        hip = sided("hip", side)
        other_hip = sided("hip", "right" if side == "left" else "left")
        outward = np.sign(xy[:, hip, 0] - xy[:, other_hip, 0])
        shin = xy[:, ankle] - xy[:, knee]
        real = np.degrees(np.arctan2(shin[:, 0] * outward, shin[:, 1]))
        target = np.zeros(len(t)) if angles is None else hip_rotation_profile(t, *angles, start)
        shank = float(np.nanmedian(np.linalg.norm(shin, axis=1)))
        change = target - real
        # foot out is a counter-clockwise turn on screen for the leg on the image right
        turn = outward * change
        for name in ("heel", "foot_index"):
            point = sided(name, side)
            xy[:, point] = xy[:, ankle] + _rotate_2d(xy[:, point] - xy[:, ankle], turn)
        moved = xy[:, knee] + np.stack(
            [shank * np.sin(np.radians(target)) * outward, shank * np.cos(np.radians(target))],
            axis=1,
        )
        offset = moved - xy[:, ankle]
        for name in ("ankle", "heel", "foot_index"):
            xy[:, sided(name, side)] += offset
            image[:, sided(name, side), 3] = image[:, knee, 3]
        thigh = world[:, knee] - world[:, hip]
        axis = thigh / np.linalg.norm(thigh, axis=1, keepdims=True)
        world_out = np.sign(world[:, hip, 0] - world[:, other_hip, 0])
        probe = _axis_rotation(world[:, ankle] - world[:, knee], axis, np.full(len(t), 10.0))
        sign = np.where(
            (probe[:, 0] - (world[:, ankle, 0] - world[:, knee, 0])) * world_out > 0, 1, -1
        )
        for name in ("ankle", "heel", "foot_index"):
            point = sided(name, side)
            world[:, point] = world[:, knee] + _axis_rotation(
                world[:, point] - world[:, knee], axis, sign * change
            )
    track = replace(track, image=image, world=world.astype(track.world.dtype))
    return with_pixels(track, xy)


def shoulder_rotation_profile(t: np.ndarray, er_deg: float, ir_deg: float) -> np.ndarray:
    """Forearm angle: 1 s forward (0°), 1.2 s up to +ER, 0.5 s held, 1.2 s back, 1.2 s down
    to -IR, 0.5 s held, 1.2 s back."""
    keyframes = [(1.0, 0.0), (2.2, er_deg), (2.7, er_deg), (3.9, 0.0)]
    keyframes += [(5.1, -ir_deg), (5.6, -ir_deg), (6.8, 0.0)]
    return eased(t, keyframes)


def standing_shoulder_rotation(
    base: PoseTrack,
    left: tuple[float, float] | None,
    right: tuple[float, float] | None,
    *,
    still_frames: tuple[int, int] = (0, 9),
    seconds: float = 8.0,
) -> PoseTrack:
    """Shoulder rotation at 90° abduction built on a real standing front-view track (the
    first, still frames of overhead_squat/ohsquat_IMG7027_front.mov played back and forth).
    Changed: each tested arm is re-posed out to the side at shoulder height (real
    upper-arm length, in the picture plane), elbow bent 90°, the forearm (real length)
    turned through the profile in the forward/up plane: its rise in the picture, its reach
    toward the camera in the image depth z (and the same pose in world landmarks); hand
    points follow the wrist. Kept: body, legs, head, visibility and jitter as the model
    saw them. `left` / `right` are (ER, IR) in degrees; None leaves that arm down by the
    side (straight down from the shoulder)."""
    track = ping_pong(base, *still_frames, seconds)
    xy = pixels(track)
    image = track.image.copy()
    world = track.world.astype(np.float64).copy()
    t = track.timestamps_s
    hands = ("pinky", "index", "thumb")
    for side, angles in (("left", left), ("right", right)):
        shoulder, elbow, wrist = (sided(n, side) for n in ("shoulder", "elbow", "wrist"))
        other_hip = sided("hip", "right" if side == "left" else "left")
        outward = np.sign(xy[:, sided("hip", side), 0] - xy[:, other_hip, 0])
        world_out = np.sign(world[:, sided("hip", side), 0] - world[:, other_hip, 0])
        upper = float(np.nanmedian(np.linalg.norm(xy[:, elbow] - xy[:, shoulder], axis=1)))
        fore = float(np.nanmedian(np.linalg.norm(xy[:, wrist] - xy[:, elbow], axis=1)))
        upper_w = float(np.nanmedian(np.linalg.norm(world[:, elbow] - world[:, shoulder], axis=1)))
        fore_w = float(np.nanmedian(np.linalg.norm(world[:, wrist] - world[:, elbow], axis=1)))
        if angles is None:
            xy[:, elbow] = xy[:, shoulder] + np.stack([np.zeros(len(t)), np.full(len(t), upper)], 1)
            xy[:, wrist] = xy[:, elbow] + np.stack([np.zeros(len(t)), np.full(len(t), fore)], 1)
            image[:, [elbow, wrist], 2] = image[:, [shoulder], 2]
            world[:, elbow] = world[:, shoulder] + [0.0, upper_w, 0.0]
            world[:, wrist] = world[:, elbow] + [0.0, fore_w, 0.0]
        else:
            theta = np.radians(shoulder_rotation_profile(t, *angles))
            xy[:, elbow, 0] = xy[:, shoulder, 0] + outward * upper
            xy[:, elbow, 1] = xy[:, shoulder, 1]
            xy[:, wrist, 0] = xy[:, elbow, 0]
            xy[:, wrist, 1] = xy[:, elbow, 1] - fore * np.sin(theta)
            image[:, elbow, 2] = image[:, shoulder, 2]
            image[:, wrist, 2] = image[:, elbow, 2] - fore * np.cos(theta) / track.frame_width
            world[:, elbow] = world[:, shoulder]
            world[:, elbow, 0] += world_out * upper_w
            world[:, wrist] = world[:, elbow]
            world[:, wrist, 1] -= fore_w * np.sin(theta)
            world[:, wrist, 2] -= fore_w * np.cos(theta)
        for hand in hands:
            point = sided(hand, side)
            xy[:, point] = xy[:, wrist] + 0.15 * (xy[:, wrist] - xy[:, elbow])
            image[:, point, 2] = image[:, wrist, 2] + 0.15 * (
                image[:, wrist, 2] - image[:, elbow, 2]
            )
            world[:, point] = world[:, wrist] + 0.15 * (world[:, wrist] - world[:, elbow])
    track = replace(track, image=image, world=world.astype(track.world.dtype))
    return with_pixels(track, xy)


def _torso_px(track: PoseTrack) -> float:
    xy = pixels(track)
    shoulders = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    hips = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    return float(np.nanmedian(np.linalg.norm(shoulders - hips, axis=1)))


def fit_standing_to(standing: PoseTrack, seated: PoseTrack) -> PoseTrack:
    """Scale and move a standing track (another real person) so its torso matches the
    seated track's and it stands where the seated person sat, feet near the bottom of the
    picture: the same body size and place, as one person standing up."""
    factor = _torso_px(seated) / _torso_px(standing)
    xy = pixels(standing)
    pelvis = np.nanmedian((xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2, axis=0)
    xy = pelvis + (xy - pelvis) * factor
    seat_x = np.nanmedian(
        (pixels(seated)[:, L.LEFT_HIP, 0] + pixels(seated)[:, L.RIGHT_HIP, 0]) / 2
    )
    feet_y = np.nanmax(np.nanmedian(xy[:, [L.LEFT_HEEL, L.RIGHT_HEEL], 1], axis=0))
    xy[:, :, 0] += seat_x - pelvis[0]
    xy[:, :, 1] += 0.95 * standing.frame_height - feet_y
    image = standing.image.copy()
    image[:, :, 2] *= factor
    return with_pixels(replace(standing, image=image), xy)


def ninety_ninety_clip(seated: PoseTrack, standing: PoseTrack) -> PoseTrack:
    """The whole 90-90 test in one clip: the seated hip part, 1.5 s standing up, then the
    standing shoulder part (built by the two builders above, then joined)."""
    standing = fit_standing_to(standing, seated)
    return concat(seated, transition(seated, standing, 1.5), standing)
