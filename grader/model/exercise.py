"""Exercises as data: one folder each, found by id under exercises/."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
ROOT_VARIABLE = "GRADER_EXERCISES"  # names another folder of exercises (a course of one's own, tests)


SUBMITTED_FILE = {"image": "Dockerfile", "setup": "setup.sh"}  # what a submission of each kind holds
KINDS = tuple(SUBMITTED_FILE)


class UnknownExercise(InputError, LookupError):
    """No exercise folder has that id."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one submission may use, inside its sandbox."""

    build_timeout_s: float = 120
    script_timeout_s: float = 120
    run_timeout_s: float = 10
    check_timeout_s: float = 10  # one command of a check
    check_limit_s: float = 60  # one whole check, its fixtures included
    memory: str = "256m"
    pids: int = 128
    context_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class BuildSecret:
    """A secret the grader hands the build (`[secret]` in exercise.toml): a fresh random value per
    grading, as `--secret id=<id>,src=<file>` and, where `arg` is set, also as the build argument
    `--build-arg <arg>` (the way a CI pipeline often offers a token, and a correct image ignores)."""

    id: str
    arg: str = ""


@dataclass(frozen=True)
class Exercise:
    """An exercise: its task, the images it needs, its limits and its checks."""

    id: str
    title: str
    topic: str
    kind: str
    folder: Path
    version: str = "1"
    images: tuple[str, ...] = ("busybox:latest",)
    limits: Limits = field(default_factory=Limits)
    build_network: bool = False
    run_network: bool = False
    capabilities: tuple[str, ...] = ()
    lint_points: bool = False
    topology: dict[str, frozenset[str]] = field(default_factory=dict)  # network: containers on it
    secret: BuildSecret | None = None

    @property
    def submitted_file(self) -> str:
        """The file a submission must hold: its Dockerfile or its setup.sh."""
        return SUBMITTED_FILE[self.kind]

    @property
    def checks(self) -> Path:
        return self.folder / "checks.py"

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def solution(self) -> Path:
        return SOLUTIONS / self.id

    @property
    def tag(self) -> str:
        """The name the student's image gets inside the sandbox."""
        return f"submission/{self.id.replace('.', '-')}:latest"

    def digest(self) -> str:
        """A digest of the exercise's definition and checks (for caching and replay)."""
        sha = hashlib.sha256()
        for path in (self.folder / "exercise.toml", self.checks):
            sha.update(path.read_bytes())
        return sha.hexdigest()[:16]


def exercises_root() -> Path:
    """Where exercises are found: the folder $GRADER_EXERCISES names, else the course's exercises/."""
    return Path(os.environ.get(ROOT_VARIABLE) or EXERCISES)


def load(exercise_id: str, root: Path | None = None) -> Exercise:
    """The exercise with this id, read from its exercise.toml."""
    root = root or exercises_root()
    folder = root / exercise_id
    config = folder / "exercise.toml"
    if not config.is_file():
        known = ", ".join(e.id for e in all_exercises(root)) or "none"
        raise UnknownExercise(f"There is no exercise '{exercise_id}'. Known exercises: {known}.")
    return _from_toml(folder, tomllib.loads(config.read_text()))


def all_exercises(root: Path | None = None) -> list[Exercise]:
    """Every exercise of the course, by id."""
    root = root or exercises_root()
    return [load(p.parent.name, root) for p in sorted(root.glob("*/exercise.toml"))]


def _from_toml(folder: Path, data: dict[str, Any]) -> Exercise:
    if data.get("id") != folder.name:
        raise ValueError(f"{folder}/exercise.toml: id must be '{folder.name}'")
    if data.get("kind") not in KINDS:
        raise ValueError(f"{folder}/exercise.toml: kind must be one of {', '.join(KINDS)}")
    limits = Limits(**data.get("limits", {}))
    network = data.get("network", {})
    return Exercise(
        id=data["id"],
        title=data["title"],
        topic=data["topic"],
        kind=data["kind"],
        folder=folder,
        version=str(data.get("version", "1")),
        images=tuple(data.get("images", ["busybox:latest"])),
        limits=limits,
        build_network=bool(network.get("build", False)),
        run_network=bool(network.get("run", False)),
        capabilities=tuple(data.get("capabilities", [])),
        lint_points=bool(data.get("lint_points", False)),
        topology={network: frozenset(names) for network, names in data.get("topology", {}).items()},
        secret=BuildSecret(**data["secret"]) if "secret" in data else None,
    )
