"""The notebooks' assertions about containers, images and registries, at their public path.

`from grader.assertions import exited, printed, ...` is the course's public API; the code is
in `grader.course.assertions`.
"""

from grader.course.assertions import (
    built_on,
    changed,
    exited,
    file_holds,
    hides,
    in_registry,
    mounted,
    no_image,
    printed,
    same_image,
    secret_nowhere,
)

__all__ = [
    "built_on",
    "changed",
    "exited",
    "file_holds",
    "hides",
    "in_registry",
    "mounted",
    "no_image",
    "printed",
    "same_image",
    "secret_nowhere",
]
