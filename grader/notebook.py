"""The check cells' helpers, at the path the notebooks import them from.

`from grader.notebook import check, task, expect, clean_up` is the course's public API;
the code is in `grader.course.notebook`.
"""

from grader.course.notebook import Expectation, Score, check, clean_up, expect, task

__all__ = ["Expectation", "Score", "check", "clean_up", "expect", "task"]
