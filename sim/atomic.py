"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The files the project writes whole (scenario caches, results, figures, checkpoints, a run's config and result)
go through ``atomic_file``: the content goes to a temporary file with a unique name in the target's own folder
(so that ``os.replace`` is a rename on one file system, and two writers never share a temporary file), which
replaces the target only once it is complete; on any error the temporary file is removed and the target is
left as it was. The result gets the usual permissions (0666 less the umask, e.g. -rw-r--r--), not the
temporary file's owner-only ones. Logs that grow by appending (a run's episodes.csv, TensorBoard) are not
written this way. It lives in ``sim`` because ``sim`` is the lowest layer and needs it too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _read_umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it: done once, at import, and restored at once
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_read_umask()


@contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """A handle to write ``path`` through (``mode`` "w" for text, "wb" for bytes); the file appears at ``path``
    when the block ends without an error, and not at all otherwise."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode={mode!r}; allowed: 'w' (text) or 'wb' (bytes)")
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(mode, dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            yield handle
            os.fchmod(handle.fileno(), FILE_MODE)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path, "w") as handle:
        handle.write(text)
