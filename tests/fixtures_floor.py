"""Constructed floor-test tracks, built from real landmarks with known answers.

No real clips exist for dead bug, bird dog or clamshell, and the real plank clips are 3 s
long. Each constructor here starts from one real frame (or real clip) of the shared
footage and re-poses it to a known answer:

- Limbs are re-posed in the sagittal plane twice with the same parameters: once in image
  pixels (with the image's own segment lengths) and once in world metres (x, y; each
  point keeps its real depth z). So image and world landmarks move together, and the 2-D
  angles a scorer measures equal the angles put in.
- The clamshell rotates the whole real body in world coordinates into side-lying seen
  from the front, then projects it with the orthographic camera fitted to the real frame.
- Seeded jitter of about a pixel (and the same in metres) stands in for landmark noise.

Everything here is test support; nothing is copied into the product.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from flowlogic.pose.landmarks import NUM_LANDMARKS, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack

UP = np.array([0.0, -1.0])  # image and world y grow downwards
HAND = ("pinky", "index", "thumb")
FOOT = ("heel", "foot_index")
HEAD = tuple(range(11))  # nose, eyes, ears, mouth


# -- small geometry --------------------------------------------------------------------


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def from_elevation(elevation_deg: float, forward: np.ndarray) -> np.ndarray:
    """A unit 2-D direction `elevation_deg` above the horizontal `forward`."""
    e = np.radians(elevation_deg)
    return np.cos(e) * forward + np.sin(e) * UP


def rotate_2d(v: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate 2-D vectors on screen by `degrees` (counter-clockwise as seen, y down)."""
    r = np.radians(degrees)
    c, s = np.cos(r), np.sin(r)
    x, y = v[..., 0], v[..., 1]
    return np.stack([c * x + s * y, -s * x + c * y], axis=-1)


def fit_camera(track: PoseTrack, frame: int) -> tuple[float, np.ndarray]:
    """Orthographic camera of one real frame: pixels ≈ scale * world(x, y) + offset."""
    good = track.visibility[frame] >= 0.5
    world = track.world[frame].astype(np.float64)[good]
    px = track.xy[frame][good]
    design = np.zeros((2 * len(world), 3))
    design[0::2, 0], design[1::2, 0] = world[:, 0], world[:, 1]
    design[0::2, 1] = 1.0
    design[1::2, 2] = 1.0
    solution, *_ = np.linalg.lstsq(design, px.reshape(-1), rcond=None)
    return float(solution[0]), solution[1:]


def _spaces(track: PoseTrack, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """One real frame in its two spaces: image pixels (33, 2) and world metres (33, 3).
    Posing edits columns x, y of each with the same parameters."""
    return track.xy[frame].astype(np.float64), track.world[frame].astype(np.float64)


def _to_track(
    template: PoseTrack,
    px_frames: np.ndarray,
    world_frames: np.ndarray,
    visibility: np.ndarray,
    fps: float,
    seed: int,
    jitter_px: float,
    px_per_m: float,
) -> PoseTrack:
    frames = len(px_frames)
    rng = np.random.default_rng(seed)
    px = px_frames + rng.normal(0.0, jitter_px, px_frames.shape)
    world = world_frames + rng.normal(0.0, jitter_px / px_per_m, world_frames.shape)
    image = np.zeros((frames, NUM_LANDMARKS, 4), dtype=np.float32)
    image[:, :, 0] = px[:, :, 0] / template.frame_width
    image[:, :, 1] = px[:, :, 1] / template.frame_height
    image[:, :, 2] = world[:, :, 2] * px_per_m / template.frame_width
    image[:, :, 3] = np.broadcast_to(visibility, (frames, NUM_LANDMARKS))
    return replace(
        template,
        timestamps_s=np.arange(frames) / fps,
        image=image,
        world=world.astype(np.float32),
        brightness=np.full(frames, float(np.nanmean(template.brightness)), dtype=np.float32),
        faces=np.full(frames, -1, dtype=np.int8),
        fps=fps,
        source_fps=fps,
        source_frames=frames,
        face=None,
        meta={"constructed": True},
    )


def phase_profile(seconds: float, fps: float, hold_share: float = 0.3) -> np.ndarray:
    """0 -> 1 -> hold -> 0 over `seconds`, smooth (cosine) ramps."""
    n = max(3, round(seconds * fps))
    x = np.linspace(0.0, 1.0, n)
    ramp = (1.0 - hold_share) / 2
    out = np.ones(n)
    up = x < ramp
    down = x > 1.0 - ramp
    out[up] = 0.5 - 0.5 * np.cos(np.pi * x[up] / ramp)
    out[down] = 0.5 - 0.5 * np.cos(np.pi * (1.0 - x[down]) / ramp)
    return out


# -- dead bug (from the supine glute-bridge clip) ------------------------------------------


def _trunk_axes(view: np.ndarray, near: str) -> tuple[np.ndarray, np.ndarray]:
    """u: near shoulder -> near hip (toward the feet); n: its perpendicular pointing up."""
    u = unit(view[sided("hip", near), :2] - view[sided("shoulder", near), :2])
    n = np.array([-u[1], u[0]])
    if n[1] > 0:
        n = -n
    return u, n


def _pose_leg(view, side, u, n, thigh, shank, hip_deg, knee_deg, foot_offsets) -> None:
    """Leg at `hip_deg` (trunk-hip-knee) and `knee_deg` (hip-knee-ankle) in the plane."""
    h, phi = np.radians(hip_deg), np.radians(180.0 - knee_deg)
    a, b = -np.cos(h), np.sin(h)
    thigh_dir = a * u + b * n
    shank_dir = (a * np.cos(phi) + b * np.sin(phi)) * u + (-a * np.sin(phi) + b * np.cos(phi)) * n
    hip = view[sided("hip", side), :2]
    knee = hip + thigh * thigh_dir
    ankle = knee + shank * shank_dir
    view[sided("knee", side), :2] = knee
    view[sided("ankle", side), :2] = ankle
    turn = np.degrees(np.arctan2(-shank_dir[1], shank_dir[0]))
    for name, offset in foot_offsets.items():
        view[sided(name, side), :2] = ankle + rotate_2d(offset, turn)


def _pose_arm(view, side, u, n, upper, fore, overhead_deg) -> None:
    """Arm pointing at the ceiling (0) or lowered overhead toward the floor (90)."""
    a = np.radians(overhead_deg)
    direction = np.cos(a) * n - np.sin(a) * u
    shoulder = view[sided("shoulder", side), :2]
    elbow = shoulder + upper * direction
    wrist = elbow + fore * direction
    view[sided("elbow", side), :2] = elbow
    view[sided("wrist", side), :2] = wrist
    for name in HAND:
        view[sided(name, side), :2] = wrist + 0.12 * fore * direction


def dead_bug_track(
    base: PoseTrack,
    frame: int,
    reps: list[tuple[str, float, float]],
    *,
    rep_s: float = 3.0,
    rest_s: float = 1.0,
    fps: float = 30.0,
    pelvis_lift_m: float = 0.0,
    fault_side: str | None = None,
    far_visibility: float | None = 0.8,
    seed: int = 0,
) -> PoseTrack:
    """Supine dead bug from a real resting glute-bridge frame.

    Start: arms to the ceiling, hips and knees at 90°. Each rep `(leg side, hip_deg,
    knee_deg)` lowers that leg to the given angles (2-D, trunk-hip-knee and hip-knee-ankle)
    and the opposite arm 80° overhead, then returns. `pelvis_lift_m` lifts the hips (and
    legs) that far at full extension, as when the lower back arches off the floor (only on
    reps of the `fault_side` leg when given).
    """
    near = _near_of(base, frame, ("shoulder", "hip", "knee"))
    px_per_m, _ = fit_camera(base, frame)
    geometry = []
    for points in _spaces(base, frame):
        view = points[:, :2]
        u, n = _trunk_axes(view, near)
        lengths = {}
        feet = {}
        for side in ("left", "right"):
            hip, knee, ankle = (view[sided(p, side), :2] for p in ("hip", "knee", "ankle"))
            shoulder, elbow, wrist = (
                view[sided(p, side), :2] for p in ("shoulder", "elbow", "wrist")
            )
            lengths[side] = (
                np.linalg.norm(knee - hip),
                np.linalg.norm(ankle - knee),
                np.linalg.norm(elbow - shoulder),
                np.linalg.norm(wrist - elbow),
            )
            shank = ankle - knee
            turn = -np.degrees(np.arctan2(-shank[1], shank[0]))
            feet[side] = {
                name: rotate_2d(view[sided(name, side), :2] - ankle, turn) for name in FOOT
            }
        geometry.append((points, view, u, n, lengths, feet))

    def pose(leg_side: str | None, hip_deg: float, knee_deg: float, p: float):
        frame_points = []
        for points, _view, u, n, lengths, feet in geometry:
            out = points.copy()
            v = out[:, :2]
            for side in ("left", "right"):
                thigh, shank, upper, fore = lengths[side]
                moving = side == leg_side
                h = 90 + p * (hip_deg - 90) if moving else 90.0
                k = 90 + p * (knee_deg - 90) if moving else 90.0
                _pose_leg(v, side, u, n, thigh, shank, h, k, feet[side])
                arm_moving = leg_side is not None and side != leg_side
                _pose_arm(v, side, u, n, upper, fore, 80.0 * p if arm_moving else 0.0)
            if pelvis_lift_m and leg_side is not None and fault_side in (None, leg_side):
                scale = 1.0 if out.shape[1] == 3 else px_per_m
                lower = [
                    sided(x, s) for s in ("left", "right") for x in ("hip", "knee", "ankle", *FOOT)
                ]
                v[lower] += n * pelvis_lift_m * scale * p
            frame_points.append(out)
        return frame_points

    px_frames, world_frames = [], []

    def add(count: int, leg_side, hip_deg, knee_deg, profile=None):
        for i in range(count):
            p = 0.0 if profile is None else profile[i]
            px, world = pose(leg_side, hip_deg, knee_deg, p)
            px_frames.append(px)
            world_frames.append(world)

    add(round(rest_s * fps), None, 90, 90)
    for leg_side, hip_deg, knee_deg in reps:
        profile = phase_profile(rep_s, fps, hold_share=0.2)
        add(len(profile), leg_side, hip_deg, knee_deg, profile)
        add(round(rest_s * fps), None, 90, 90)
    visibility = base.visibility[frame].copy()
    if far_visibility is not None:
        far = "right" if near == "left" else "left"
        for name in ("hip", "knee", "ankle", "elbow", "wrist", *FOOT, *HAND):
            visibility[sided(name, far)] = far_visibility
    return _to_track(
        base, np.array(px_frames), np.array(world_frames), visibility, fps, seed, 1.0, px_per_m
    )


def _near_of(track: PoseTrack, frame: int, names: tuple[str, ...]) -> str:
    vis = track.visibility[frame]
    left = np.mean([vis[sided(n, "left")] for n in names])
    right = np.mean([vis[sided(n, "right")] for n in names])
    return "left" if left >= right else "right"


# -- bird dog (from the push-up clip's top position) ------------------------------------


def _quadruped(view: np.ndarray, lengths: dict, near: str, floor_y: float) -> dict:
    """Re-pose a 2-D body (33, 2) onto hands and knees, in place; returns the directions."""
    mid_hip = (view[L.LEFT_HIP] + view[L.RIGHT_HIP]) / 2
    mid_shoulder = (view[L.LEFT_SHOULDER] + view[L.RIGHT_SHOULDER]) / 2
    forward = np.array([np.sign(mid_shoulder[0] - mid_hip[0]), 0.0])
    trunk_len = float(np.linalg.norm(mid_shoulder - mid_hip))
    hip_height = lengths["thigh"] + 0.05 * lengths["thigh"]
    shoulder_height = lengths["upper"] + lengths["fore"] + 0.05 * lengths["fore"]
    rise = shoulder_height - hip_height
    new_hip = np.array([mid_hip[0], floor_y - hip_height])
    new_shoulder = new_hip + forward * np.sqrt(max(trunk_len**2 - rise**2, 0.0)) + UP * rise
    # the real trunk and head move as one block onto the new trunk line
    turn = np.degrees(
        np.arctan2(-(new_shoulder - new_hip)[1], (new_shoulder - new_hip)[0])
        - np.arctan2(-(mid_shoulder - mid_hip)[1], (mid_shoulder - mid_hip)[0])
    )
    block = [*HEAD, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
    view[block] = new_hip + rotate_2d(view[block] - mid_hip, turn)
    return {"forward": forward, "back": -forward}


def _pose_bird_limbs(view, lengths, dirs, side_leg: str | None, p: float, leg_deg, arm_deg):
    """Legs and arms of a quadruped; the `side_leg` leg and the opposite arm extend with
    phase p to `leg_deg` / `arm_deg` above horizontal."""
    for side in ("left", "right"):
        hip = view[sided("hip", side)]
        shoulder = view[sided("shoulder", side)]
        leg_p = p if side == side_leg else 0.0
        thigh_elev = -90.0 + leg_p * (leg_deg + 90.0)
        knee_angle = 90.0 + 90.0 * leg_p
        thigh_dir = from_elevation(thigh_elev, dirs["back"])
        shank_dir = from_elevation(thigh_elev + 180.0 - knee_angle, dirs["back"])
        knee = hip + lengths["thigh"] * thigh_dir
        ankle = knee + lengths["shank"] * shank_dir
        view[sided("knee", side)] = knee
        view[sided("ankle", side)] = ankle
        view[sided("heel", side)] = ankle - 0.12 * lengths["shank"] * UP
        view[sided("foot_index", side)] = ankle + 0.25 * lengths["shank"] * shank_dir
        arm_p = p if (side_leg is not None and side != side_leg) else 0.0
        arm_dir = from_elevation(-90.0 + arm_p * (arm_deg + 90.0), dirs["forward"])
        elbow = shoulder + lengths["upper"] * arm_dir
        wrist = elbow + lengths["fore"] * arm_dir
        view[sided("elbow", side)] = elbow
        view[sided("wrist", side)] = wrist
        for name in HAND:
            view[sided(name, side)] = wrist + 0.12 * lengths["fore"] * arm_dir


def bird_dog_track(
    base: PoseTrack,
    frame: int,
    reps: list[tuple[str, float, float]],
    *,
    rep_s: float = 3.0,
    rest_s: float = 0.5,
    fps: float = 30.0,
    hip_drop_m: float = 0.0,
    pelvis_tilt_deg: float = 0.0,
    drift_m: float = 0.0,
    fault_side: str | None = None,
    far_visibility: float = 0.8,
    seed: int = 1,
) -> PoseTrack:
    """Quadruped bird dog from a real push-up frame (arms straight, side view).

    The real trunk and head are turned onto a hands-and-knees trunk line; arms hang
    straight down, thighs straight down, shins on the floor. Each rep `(leg side, leg_deg,
    arm_deg)` straightens that leg back and the opposite arm forward to those angles
    above horizontal, holds (half the rep) and returns. Variants at full extension:
    `hip_drop_m` lowers the hips, `pelvis_tilt_deg` drops the pelvis toward the side of
    the supporting leg (world hip axis), `drift_m` shifts the body forward; only on reps
    of the `fault_side` leg when given.
    """
    near = _near_of(base, frame, ("shoulder", "hip", "ankle"))
    px_per_m, _ = fit_camera(base, frame)
    px, world = _spaces(base, frame)
    hip_width_m = _hip_width(world)
    spaces = []
    for points in (px, world):
        view = points[:, :2]
        s = near
        lengths = {
            "thigh": float(np.linalg.norm(view[sided("knee", s)] - view[sided("hip", s)])),
            "shank": float(np.linalg.norm(view[sided("ankle", s)] - view[sided("knee", s)])),
            "upper": float(np.linalg.norm(view[sided("elbow", s)] - view[sided("shoulder", s)])),
            "fore": float(np.linalg.norm(view[sided("wrist", s)] - view[sided("elbow", s)])),
        }
        floor_y = float(max(view[sided(n, s), 1] for n in ("wrist", "foot_index", "heel")))
        out = points.copy()
        v = out[:, :2]
        dirs = _quadruped(v, lengths, near, floor_y)
        spaces.append((out, lengths, dirs, 1.0 if out.shape[1] == 3 else px_per_m))

    def pose(leg_side, leg_deg, arm_deg, p):
        result = []
        for start, lengths, dirs, scale in spaces:
            out = start.copy()
            v = out[:, :2]
            if leg_side is not None and fault_side in (None, leg_side):
                hips = [L.LEFT_HIP, L.RIGHT_HIP]
                v[hips] += -UP * hip_drop_m * scale * p
                v[:] += dirs["forward"] * drift_m * scale * p
                if pelvis_tilt_deg:
                    # the supporting leg's side (opposite the lifted leg) drops
                    support = "right" if leg_side == "left" else "left"
                    half = np.sin(np.radians(pelvis_tilt_deg)) * 0.5 * hip_width_m * scale * p
                    v[sided("hip", support), 1] += half
                    v[sided("hip", leg_side), 1] -= half
            _pose_bird_limbs(v, lengths, dirs, leg_side, p, leg_deg, arm_deg)
            result.append(out)
        return result

    px_frames, world_frames = [], []

    def add(count, leg_side, leg_deg, arm_deg, profile=None):
        for i in range(count):
            px, world = pose(leg_side, leg_deg, arm_deg, 0.0 if profile is None else profile[i])
            px_frames.append(px)
            world_frames.append(world)

    add(round(rest_s * fps), None, 0, 0)
    for leg_side, leg_deg, arm_deg in reps:
        profile = phase_profile(rep_s, fps, hold_share=0.7)
        add(len(profile), leg_side, leg_deg, arm_deg, profile)
        add(round(rest_s * fps), None, 0, 0)
    visibility = base.visibility[frame].copy()
    far = "right" if near == "left" else "left"
    for name in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist", *FOOT, *HAND):
        visibility[sided(name, far)] = far_visibility
    return _to_track(
        base, np.array(px_frames), np.array(world_frames), visibility, fps, seed, 1.0, px_per_m
    )


def _hip_width(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[L.LEFT_HIP] - points[L.RIGHT_HIP]))


# -- clamshell (the supine bridge frame turned onto its side, seen from the front) ------

LEG_POINTS = ("hip", "knee", "ankle", *FOOT)


def rotation_about(axis: np.ndarray, degrees: float) -> np.ndarray:
    """3x3 rotation matrix about a unit axis (right-handed, Rodrigues)."""
    k = unit(np.asarray(axis, dtype=np.float64))
    r = np.radians(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(r) * cross + (1 - np.cos(r)) * cross @ cross


def clamshell_turn_deg(open_deg: float, beta_deg: float) -> float:
    """The turn of the top leg about its hip-ankle line that opens the thighs by
    `open_deg`, for a thigh at `beta_deg` to that line: open = 2 asin(sin β sin(θ/2))."""
    return float(
        np.degrees(2 * np.arcsin(np.sin(np.radians(open_deg) / 2) / np.sin(np.radians(beta_deg))))
    )


def side_lying_world(base: PoseTrack, frame: int) -> tuple[np.ndarray, str, str]:
    """The real supine frame turned a quarter about its long axis so the person lies on
    one side facing the camera (-z), legs parallel (the near leg's shape on both sides).
    Returns (world (33, 3), bottom side, top side)."""
    world = base.world[frame].astype(np.float64).copy()
    near = _near_of(base, frame, ("hip", "knee", "ankle"))
    far = "right" if near == "left" else "left"
    for name in LEG_POINTS[1:]:
        offset = world[sided(name, near)] - world[sided("hip", near)]
        world[sided(name, far)] = world[sided("hip", far)] + offset
    mid_hip = (world[L.LEFT_HIP] + world[L.RIGHT_HIP]) / 2
    mid_shoulder = (world[L.LEFT_SHOULDER] + world[L.RIGHT_SHOULDER]) / 2
    spine = unit(mid_shoulder - mid_hip)
    # front of the body (away from the floor: -y) turns to face the camera (-z)
    for degrees in (90.0, -90.0):
        turned = (world - mid_hip) @ rotation_about(spine, degrees).T + mid_hip
        front_before = np.array([0.0, -1.0, 0.0]) @ rotation_about(spine, degrees).T
        if front_before[2] < 0:
            world = turned
            break
    bottom = "left" if world[L.LEFT_HIP, 1] > world[L.RIGHT_HIP, 1] else "right"
    top = "right" if bottom == "left" else "left"
    return world, bottom, top


def clamshell_track(
    base: PoseTrack,
    frame: int,
    reps: list[float],
    *,
    rep_s: float = 2.4,
    rest_s: float = 0.6,
    fps: float = 30.0,
    roll_back_deg: float = 0.0,
    visibility: float = 0.9,
    seed: int = 2,
) -> tuple[PoseTrack, str, float]:
    """Side-lying clamshell seen from the front, from a real supine bridge frame.

    The body is turned onto its side (`side_lying_world`); each rep turns the top leg
    about its own hip-ankle line (feet stay together) so the thighs open by the given
    knee-hip-knee angle, pauses and closes. `roll_back_deg` also rolls the pelvis, trunk
    and top leg backward about the bottom hip's long axis at full opening. Image
    landmarks are the world ones through the orthographic camera fitted to the real
    frame. Returns (track, top side, thigh-to-hip-ankle angle β in degrees).
    """
    world, bottom, top = side_lying_world(base, frame)
    px_per_m, offset = fit_camera(base, frame)
    hip, knee, ankle = (world[sided(n, top)] for n in ("hip", "knee", "ankle"))
    axis = unit(ankle - hip)
    beta = float(np.degrees(np.arccos(np.clip(unit(knee - hip) @ axis, -1, 1))))
    spine = unit(
        (world[L.LEFT_SHOULDER] + world[L.RIGHT_SHOULDER]) / 2
        - (world[L.LEFT_HIP] + world[L.RIGHT_HIP]) / 2
    )
    top_leg = [sided(n, top) for n in LEG_POINTS[1:]]
    moved_by_roll = [
        i for i in range(NUM_LANDMARKS) if i not in [sided(n, bottom) for n in LEG_POINTS[1:]]
    ]

    def lifts_knee(sign: float) -> bool:
        r = rotation_about(axis, sign * 10.0)
        return ((knee - hip) @ r.T + hip)[1] < knee[1]

    opening_sign = 1.0 if lifts_knee(1.0) else -1.0

    def rolls_back(sign: float) -> bool:
        pivot = world[sided("hip", bottom)]
        r = rotation_about(spine, sign * 10.0)
        return ((world[sided("hip", top)] - pivot) @ r.T + pivot)[2] > world[sided("hip", top), 2]

    roll_sign = 1.0 if rolls_back(1.0) else -1.0

    def pose(open_deg: float, p: float) -> np.ndarray:
        out = world.copy()
        if open_deg and p:
            turn = opening_sign * clamshell_turn_deg(open_deg * p, beta)
            r = rotation_about(axis, turn)
            out[top_leg] = (out[top_leg] - hip) @ r.T + hip
        if roll_back_deg and p:
            pivot = world[sided("hip", bottom)]
            r = rotation_about(spine, roll_sign * roll_back_deg * p)
            out[moved_by_roll] = (out[moved_by_roll] - pivot) @ r.T + pivot
        return out

    frames = [pose(0.0, 0.0)] * round(rest_s * fps)
    for open_deg in reps:
        profile = phase_profile(rep_s, fps, hold_share=0.3)
        frames += [pose(open_deg, p) for p in profile]
        frames += [pose(0.0, 0.0)] * round(rest_s * fps)
    world_frames = np.array(frames)
    px_frames = world_frames[:, :, :2] * px_per_m + offset
    vis = np.full(NUM_LANDMARKS, visibility)
    track = _to_track(base, px_frames, world_frames, vis, fps, seed, 1.0, px_per_m)
    return track, top, beta


def concat_tracks(first: PoseTrack, second: PoseTrack) -> PoseTrack:
    """One track after the other (e.g. one clamshell side, then the other)."""
    shift = first.timestamps_s[-1] + 1.0 / first.fps
    return replace(
        first,
        timestamps_s=np.concatenate([first.timestamps_s, second.timestamps_s + shift]),
        image=np.concatenate([first.image, second.image]),
        world=np.concatenate([first.world, second.world]),
        brightness=np.concatenate([first.brightness, second.brightness]),
        faces=np.concatenate([first.faces, second.faces]),
        source_frames=first.frames + second.frames,
    )


# -- plank held to a known time (the real forearm plank, straightened and looped) --------


def _bend_offset(a: np.ndarray, c: np.ndarray, fraction: float, bend_deg: float) -> np.ndarray:
    """The point at `fraction` along a->c, moved off the line so a->b->c bends by
    `bend_deg` (positive: above the line, toward the top of the picture)."""
    line = c - a
    length = float(np.linalg.norm(line))
    foot = a + fraction * line
    normal = np.array([-line[1], line[0]]) / length
    if normal[1] > 0:
        normal = -normal
    da, dc = fraction * length, (1 - fraction) * length
    target = np.radians(abs(bend_deg))
    low, high = 0.0, length
    for _ in range(60):
        h = (low + high) / 2
        if np.arctan(h / da) + np.arctan(h / dc) < target:
            low = h
        else:
            high = h
    return foot + np.sign(bend_deg) * normal * (low + high) / 2


def plank_track(
    base: PoseTrack,
    *,
    seconds: float,
    break_s: float,
    stop_s: float,
    held_bend_deg: float = 3.0,
    broken_bend_deg: float = -20.0,
) -> PoseTrack:
    """A plank of known timing from the real forearm-plank clip.

    The real frames are played forward and back (real jitter) to `seconds`. The near hip
    (and knee with it) is put on the body line with `held_bend_deg` until `break_s`, then
    at `broken_bend_deg` (negative: sagging) until `stop_s`; after that the shoulders are
    lowered to the elbows, as when the person lies down. Image and world move together.
    """
    near = _near_of(base, 0, ("shoulder", "hip", "ankle"))
    order = np.concatenate([np.arange(base.frames), np.arange(base.frames - 2, 0, -1)])
    count = round(seconds * base.fps)
    picks = order[np.arange(count) % len(order)]
    px = base.xy[picks].copy()
    world = base.world[picks].astype(np.float64)
    shoulder, hip, knee, ankle, elbow = (
        sided(n, near) for n in ("shoulder", "hip", "knee", "ankle", "elbow")
    )
    upper = [*HEAD, L.LEFT_SHOULDER, L.RIGHT_SHOULDER]
    for i in range(count):
        t = i / base.fps
        bend = held_bend_deg if t < break_s else broken_bend_deg
        for points in (px[i], world[i, :, :2]):
            a, c = points[shoulder].copy(), points[ankle].copy()
            line = c - a
            fraction = float((points[hip] - a) @ line / (line @ line))
            new_hip = _bend_offset(a, c, fraction, bend)
            move = new_hip - points[hip]
            share = np.linalg.norm(points[knee] - c) / max(np.linalg.norm(points[hip] - c), 1e-9)
            points[[L.LEFT_HIP, L.RIGHT_HIP]] += move
            points[[L.LEFT_KNEE, L.RIGHT_KNEE]] += move * share
            if t >= stop_s:
                points[upper] += np.array([0.0, points[elbow, 1] - points[shoulder, 1]])
    visibility = base.visibility[picks]
    image = base.image[picks].copy()
    image[:, :, 0] = px[:, :, 0] / base.frame_width
    image[:, :, 1] = px[:, :, 1] / base.frame_height
    image[:, :, 3] = visibility
    return replace(
        base,
        timestamps_s=np.arange(count) / base.fps,
        image=image.astype(np.float32),
        world=world.astype(np.float32),
        brightness=base.brightness[picks],
        faces=base.faces[picks],
        source_frames=count,
        meta={"constructed": True},
    )


# -- glute bridge variants (the real bridge clip, altered at the top of each rep) -------


def _bridge_weight(track: PoseTrack, near: str) -> np.ndarray:
    """(T,) 0 with the hips down, 1 from 80 % of the highest hip point up (near hip), so
    the whole top of each bridge carries the full change."""
    hip_y = track.xy[:, sided("hip", near), 1]
    rest, top = np.nanpercentile(hip_y, 95), np.nanmin(hip_y)
    return np.clip((rest - hip_y) / (0.8 * (rest - top)), 0.0, 1.0)


def _retrack(track: PoseTrack, px: np.ndarray, world: np.ndarray) -> PoseTrack:
    image = track.image.copy()
    image[:, :, 0] = px[:, :, 0] / track.frame_width
    image[:, :, 1] = px[:, :, 1] / track.frame_height
    return replace(
        track,
        image=image.astype(np.float32),
        world=world.astype(np.float32),
        meta={"constructed": True},
    )


def bridge_with_pelvis_drop(track: PoseTrack, drop_deg: float, side: str) -> PoseTrack:
    """The real bridge with the `side` half of the pelvis dropping `drop_deg` as the hips
    rise (full at the top): the world hip axis turns in its own vertical plane about the
    mid-hip; the image hips move by the same amount through the fitted camera."""
    near = _near_of(track, 0, ("shoulder", "hip", "knee"))
    weight = _bridge_weight(track, near)
    px_per_m, _ = fit_camera(track, 0)
    world = track.world.astype(np.float64).copy()
    px = track.xy.copy()
    hips = [L.LEFT_HIP, L.RIGHT_HIP]
    for i in range(track.frames):
        mid = world[i, hips].mean(axis=0)
        axis = world[i, L.LEFT_HIP] - world[i, L.RIGHT_HIP]
        turn_axis = unit(np.cross(axis, [0.0, 1.0, 0.0]))
        for sign in (1.0, -1.0):
            r = rotation_about(turn_axis, sign * drop_deg * weight[i])
            moved = (world[i, hips] - mid) @ r.T + mid
            if moved[0 if side == "left" else 1, 1] >= world[i, sided("hip", side), 1]:
                break
        px[i, hips] += (moved[:, :2] - world[i, hips, :2]) * px_per_m
        world[i, hips] = moved
    return _retrack(track, px, world)


def bridge_with_short_lift(track: PoseTrack, share: float) -> PoseTrack:
    """The real bridge with the hips lifted only `share` of their real height above the
    floor (image), and the same displacement in world metres."""
    near = _near_of(track, 0, ("shoulder", "hip", "knee"))
    px_per_m, _ = fit_camera(track, 0)
    px = track.xy.copy()
    world = track.world.astype(np.float64).copy()
    rest = np.nanpercentile(px[:, sided("hip", near), 1], 95)
    hips = [L.LEFT_HIP, L.RIGHT_HIP]
    lowered = (1.0 - share) * (rest - px[:, sided("hip", near), 1])
    px[:, hips, 1] += lowered[:, None]
    world[:, hips, 1] += lowered[:, None] / px_per_m
    return _retrack(track, px, world)
