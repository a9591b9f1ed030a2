"""Widgets of the terminal app: the camera view and the terminal charts."""
