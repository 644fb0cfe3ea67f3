"""The guard: the Docker socket a student's script sees, checked before it reaches the sandbox engine."""

from grader.guard.policy import refusal
from grader.guard.proxy import Guard, Refusal, guard_of

__all__ = ["Guard", "Refusal", "guard_of", "refusal"]
