"""Files we hand to people (reports, exports, share cards): safe names, atomic writes.

Profile names and test slugs reach file names, so every name part goes through
`safe_name` (no path separators, no `..`, no control characters). Files are written to a
temporary sibling and renamed into place, so a crash never leaves half a report. A path
the user gives (`--out`) may point anywhere they choose, but never holds control
characters; a write that fails (a full disk, a folder that is a file, no permission) is one
clear line, and the file that was there before is left as it was.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from flowlogic.errors import FlowLogicError, UsageError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")
MAX_NAME_CHARS = 64


def safe_name(text: str, *, fallback: str = "unnamed") -> str:
    """`text` as one safe file-name part: ASCII letters, digits, '.', '_', '-' only.

    Accents are folded ("Zoë" -> "zoe"); anything else becomes '-'; no leading dots or
    dashes (so never "." / ".." / a hidden file); at most 64 characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _DASHES.sub("-", _UNSAFE.sub("-", folded.strip().lower()))
    cleaned = cleaned.strip(".-_ ")[:MAX_NAME_CHARS].rstrip(".-_")
    return cleaned or fallback


def printable(text: str) -> str:
    """`text` for drawing or printing: control characters (an escape sequence, a newline
    in a name stored by an older version) become spaces."""
    cleaned = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(cleaned.split())


def check_output_path(path: Path) -> Path:
    """Refuse an output path holding control characters (a newline or an escape sequence
    in a file name); anything else is the user's own choice of place."""
    text = str(path)
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise UsageError(f"The output path {text!r} contains control characters.")
    return Path(path)


class WriteFailed(FlowLogicError, OSError):
    """A file could not be written (still an OSError, for callers that catch those)."""

    code = "WRITE_FAILED"


class UnwritablePath(UsageError, OSError):
    """The place asked for cannot hold the file: a folder that is a file, no permission."""


def write_error(path: Path, error: OSError) -> FlowLogicError:
    """A failed write as one clear line."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return WriteFailed(
            f"Could not write {path.name}: the disk is full. Free some space and try again; "
            "nothing stored before was changed.",
            code="DISK_FULL",
        )
    if isinstance(error, FileExistsError | NotADirectoryError):
        return UnwritablePath(f"Cannot write {path}: part of that path is a file, not a folder.")
    if isinstance(error, IsADirectoryError):
        return UnwritablePath(f"Cannot write {path}: it is a folder.")
    if isinstance(error, PermissionError):
        return UnwritablePath(f"Cannot write {path}: permission denied.")
    reason = error.strerror or str(error) or type(error).__name__
    return WriteFailed(f"Could not write {path}: {reason}.")


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a temporary file in the same folder and a rename."""
    path = check_output_path(path)
    temp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, 0o666 & ~_current_umask())
        os.replace(temp_name, path)
    except BaseException as error:
        if temp_name is not None:
            Path(temp_name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise write_error(path, error) from None
        raise
    return path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
