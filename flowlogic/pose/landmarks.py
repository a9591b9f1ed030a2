"""MediaPipe Pose's 33 landmarks: indices, names, body-part groups and left/right pairs.

Left and right are the person's own (MediaPipe's body labels), never the image's.
"""

from __future__ import annotations

from enum import IntEnum


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = 33
SIDES = ("left", "right")


def _mirror_permutation() -> list[int]:
    perm = list(range(NUM_LANDMARKS))
    for lm in Landmark:
        if lm.name.startswith("LEFT_"):
            other = Landmark["RIGHT_" + lm.name[len("LEFT_") :]]
        elif lm.name.startswith("RIGHT_"):
            other = Landmark["LEFT_" + lm.name[len("RIGHT_") :]]
        elif lm.name == "MOUTH_LEFT":
            other = Landmark.MOUTH_RIGHT
        elif lm.name == "MOUTH_RIGHT":
            other = Landmark.MOUTH_LEFT
        else:
            continue
        perm[lm] = int(other)
    return perm


#: index i of a mirrored track takes landmark MIRROR_PERMUTATION[i] of the original
MIRROR_PERMUTATION: list[int] = _mirror_permutation()


def sided(name: str, side: str) -> Landmark:
    """`sided("knee", "left")` -> Landmark.LEFT_KNEE."""
    return Landmark[f"{side.upper()}_{name.upper()}"]


#: Body-part names used in the catalog's `required_landmarks` and in user copy.
BODY_PARTS: dict[str, tuple[Landmark, ...]] = {
    "head": (Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
    "ears": (Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
    "shoulders": (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    "elbows": (Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW),
    "wrists": (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST),
    "hips": (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    "knees": (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    "ankles": (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    "feet": (
        Landmark.LEFT_HEEL,
        Landmark.RIGHT_HEEL,
        Landmark.LEFT_FOOT_INDEX,
        Landmark.RIGHT_FOOT_INDEX,
    ),
}

#: The words user copy uses for each body-part group.
BODY_PART_WORDS: dict[str, str] = {
    "head": "head",
    "ears": "head",
    "shoulders": "shoulders",
    "elbows": "arms",
    "wrists": "hands",
    "hips": "hips",
    "knees": "knees",
    "ankles": "feet",
    "feet": "feet",
}


def landmarks_for(parts: list[str] | tuple[str, ...]) -> list[int]:
    """All landmark indices of the named body-part groups (unknown names raise KeyError)."""
    seen: list[int] = []
    for part in parts:
        for lm in BODY_PARTS[part]:
            if int(lm) not in seen:
                seen.append(int(lm))
    return seen
