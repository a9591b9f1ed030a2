"""Getting frames in: probing files, video/image-folder/camera sources."""
