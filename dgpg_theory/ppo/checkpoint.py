"""Reading a run's checkpoints: the one place that calls ``torch.load`` on a file of the trainer.

A run of ``python -m dgpg_theory.train`` writes two checkpoints: ``best.pt`` (config, episode, actor: the best
training episode's actor) and ``last.pt`` (the full trainer state, with ``format``, from which a run resumes
bit-identically). ``load_checkpoint`` accepts either; ``load_training_state`` only a resumable ``last.pt``.
Both raise ValueError naming the file (``label`` says which argument it came from, e.g. "--resume").
"""

from __future__ import annotations

from pathlib import Path

import torch

CHECKPOINT_FORMAT = 1  # the version of ``Trainer.state_dict``'s layout, saved in every last.pt

_ALLOWED = "allowed: a run's best.pt or last.pt of python -m dgpg_theory.train"


def load_checkpoint(path: str | Path, label: str = "checkpoint") -> dict:
    """The dict saved at ``path`` (on the CPU): a ``best.pt`` or ``last.pt``, i.e. a dict holding a dict
    "config" (with a "model") and a dict "actor"; ValueError otherwise, or if the file cannot be read."""
    shown = str(path)  # a str as given, a Path as its plain path (not PosixPath(...))
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises many types (OSError, UnpicklingError, RuntimeError, EOFError, ...)
        raise ValueError(f"{label} {shown!r} cannot be read ({error}); {_ALLOWED}") from error
    config = state.get("config") if isinstance(state, dict) else None
    actor = state.get("actor") if isinstance(state, dict) else None
    if not isinstance(config, dict) or "model" not in config or not isinstance(actor, dict):
        raise ValueError(
            f"{label} {shown!r} is not a dgpg-theory training checkpoint; {_ALLOWED} (a dict with 'config' and 'actor')"
        )
    return state


def load_training_state(path: str | Path, label: str = "checkpoint") -> dict:
    """``load_checkpoint`` of a resumable ``last.pt`` (a trainer state of ``CHECKPOINT_FORMAT``); ValueError for
    anything else, a ``best.pt`` included."""
    state = load_checkpoint(path, label)
    if state.get("format") != CHECKPOINT_FORMAT:
        shown = str(path)
        raise ValueError(
            f"{label} {shown!r} is not a resumable training checkpoint (a last.pt of python -m dgpg_theory.train, "
            f"format {CHECKPOINT_FORMAT})"
        )
    return state
