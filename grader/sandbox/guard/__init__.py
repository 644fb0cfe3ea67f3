"""The guard: the Docker socket a student's script sees, checked before it reaches the sandbox engine."""

from grader.sandbox.guard.policy import refusal
from grader.sandbox.guard.proxy import Guard, Refusal, guard_of

__all__ = ["Guard", "Refusal", "guard_of", "refusal"]
