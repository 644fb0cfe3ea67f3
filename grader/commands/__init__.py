"""One module per `grader` verb, each with a keyword-only `main(...)` that returns an exit code."""

from grader.text import did_you_mean

__all__ = ["did_you_mean"]
