"""Writing results: whole files atomically (``sim.atomic``), JSON strictly, CSV as text.

One JSON convention for every result ``dgpg_theory`` writes or prints (results.json, a run's config.json and
result.json, the reproduction's numbers, the ``--json`` outputs, the statistics layer's ``to_json``): strict
JSON, in which a non-finite float (NaN, ±inf) has no spelling, is written as ``null``; dataclasses become
objects, numpy arrays lists, numpy scalars numbers, paths strings. Files are indented by 2 and end in a newline;
CSV rows end in a bare newline.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.atomic import atomic_file, write_text


def plain(value: object) -> object:
    """``value`` as JSON-ready Python: non-finite floats → None, dataclasses → dicts, numpy → Python."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: object, indent: int | None = 2) -> str:
    """Strict JSON of ``value`` (see ``plain``); a trailing newline when indented."""
    text = json.dumps(plain(value), indent=indent, allow_nan=False)
    return text + "\n" if indent is not None else text


def write_json(path: str | Path, value: object) -> None:
    """``json_text(value)`` written atomically to ``path``."""
    write_text(path, json_text(value))


def csv_text(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row; ``columns`` defaults to the first row's keys. A missing or None value is empty."""
    columns = list(rows[0]) if columns is None and rows else list(columns or [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: "" if row.get(key) is None else row[key] for key in columns} for row in rows)
    return buffer.getvalue()


def write_csv(path: str | Path, rows: Sequence[dict], columns: Sequence[str] | None = None) -> None:
    """``csv_text(rows, columns)`` written atomically to ``path``."""
    write_text(path, csv_text(rows, columns))


def check_writable_directory(path: str | Path, label: str = "--out") -> None:
    """ValueError (naming ``label`` and ``path``) unless ``path`` is, or can be created as, a writable directory.
    Creates nothing: a command checks all its input before it writes anything."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{label} {path} is not a directory ({existing} is a file)")
    try:
        with tempfile.TemporaryFile(dir=existing):  # a probe that leaves nothing behind
            pass
    except OSError as error:
        raise ValueError(f"{label} {path} is not writable ({existing}: {error.strerror or error})") from None


def write_figure(figure, path: str | Path, dpi: int = 110) -> None:
    """A matplotlib figure saved as PNG to ``path`` atomically, then closed."""
    import matplotlib.pyplot as plt

    try:
        with atomic_file(path, "wb") as handle:
            figure.savefig(handle, dpi=dpi, format="png")
    finally:
        plt.close(figure)
