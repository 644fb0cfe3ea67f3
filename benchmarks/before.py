"""What `make bench` measured before BuildKit, printed beside today's figures: Docker 20.10 with the
classic builder, on this 2-core machine, on 2026-11-30 (the README of commit 16aed85). That was also
before the sandbox's hardening, which adds about 1 s a submission (docs/costs.md)."""

from __future__ import annotations

WHEN = "20.10, classic builder, 2026-11-30"
SANDBOX_S = {"start": 0.6, "close": 0.15}
"""A sandbox's start until its nested engine answers, and its close."""
CLASS_WALL_S = {"1": 121.0, "2": 65.0, "4": 63.0}
"""The generated class of 40 submissions, graded with 1, 2 and 4 workers."""


def seconds(value: float | None) -> str:
    """A figure from before, or a dash where none was taken."""
    return "-" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
