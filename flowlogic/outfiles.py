"""Files we hand to people (reports, exports, share cards): safe names, atomic writes.

Profile names and test slugs reach file names, so every name part goes through
`safe_name` (no path separators, no `..`, no control characters). Files are written to a
temporary sibling and renamed into place, so a crash never leaves half a report.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

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


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, 0o666 & ~_current_umask())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
