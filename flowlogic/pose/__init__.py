"""Pose estimation: the `PoseTrack` scorers see, the backend that makes it, its cache."""

from flowlogic.pose.track import PoseTrack

__all__ = ["PoseTrack"]
