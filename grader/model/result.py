"""The one result shape: what `grader check`, the demo gradebook and notebooks share."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from grader.model.failure import Failure, without_sandbox_paths

Status = Literal["graded", "error", "timeout"]


@dataclass
class CheckResult:
    """One rubric item: its points and what a student needs to read about it."""

    name: str
    max_points: float
    passed: bool
    expected: str
    found: str = ""
    hint: str = ""
    reproduce: str = ""
    hidden: bool = False  # students read only `expected` and whether it passed
    duration_s: float = field(default=0.0, compare=False)  # how long it ran (0: not measured)
    not_run: bool = False  # it could not run (the build or the script failed): `found` says why

    @property
    def points(self) -> float:
        return self.max_points if self.passed else 0

    @property
    def message(self) -> str:
        """One line for a student: what was expected and, if it failed, what was found."""
        if self.passed:
            return self.expected
        if self.not_run:
            return f"Not run: {self.found or 'the build or the script failed.'}"
        if self.hidden:
            return f"Expected: {self.expected}"
        return f"Expected: {self.expected} Found: {self.found or 'something else.'}"

    def for_student(self) -> CheckResult:
        """What a student may read of this check: a hidden one without found, hint or command (but
        why it did not run); no sandbox path."""
        if self.hidden:
            return replace(self, found=self.found if self.not_run else "", hint="", reproduce="")
        return replace(self, found=without_sandbox_paths(self.found))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(points=self.points, message=self.message)
        return data


@dataclass
class Result:
    """The outcome of grading one submission of one exercise."""

    exercise: str
    submission: str
    status: Status = "graded"
    checks: list[CheckResult] = field(default_factory=list)
    log: str = ""
    reason: str = ""
    advice: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    image_id: str = ""  # the ID of the image built from the submission (image exercises)
    failure: Failure | None = None  # how the build or the script failed, when it did (grader.model.failure)

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks)

    @property
    def failed(self) -> bool:
        """Whether anything went wrong: a status other than graded, or a failed check."""
        return self.status != "graded" or any(not check.passed for check in self.checks)

    def for_student(self) -> Result:
        """What a student may read of this result (hidden checks show only what they expect), with
        no sandbox path in it (`without_sandbox_paths`)."""
        failure = self.failure
        if failure is not None:
            failure = Failure(*(without_sandbox_paths(text) for text in failure.to_dict().values()))
        return replace(
            self,
            checks=[check.for_student() for check in self.checks],
            reason=without_sandbox_paths(self.reason),
            log=without_sandbox_paths(self.log),
            advice=[without_sandbox_paths(advice) for advice in self.advice],
            failure=failure,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "reason": self.reason,
            "checks": [check.to_dict() for check in self.checks],
            "advice": self.advice,
            "log": self.log,
            "duration_s": round(self.duration_s, 3),
            "image_id": self.image_id,
            "failure": self.failure.to_dict() if self.failure else None,
        }

    def to_json(self) -> str:
        """The result as JSON, its text raw; ASCII only, so control characters are `\\u` escapes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        names = [f.name for f in fields(CheckResult)]
        checks = [CheckResult(**{k: c[k] for k in names if k in c}) for c in data["checks"]]
        return cls(
            exercise=data["exercise"],
            submission=data["submission"],
            status=data["status"],
            checks=checks,
            log=data.get("log", ""),
            reason=data.get("reason", ""),
            advice=list(data.get("advice", [])),
            duration_s=data.get("duration_s", 0.0),
            image_id=data.get("image_id", ""),
            failure=Failure.from_dict(data["failure"]) if data.get("failure") else None,
        )
