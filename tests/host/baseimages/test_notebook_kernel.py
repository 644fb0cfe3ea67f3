"""The kernel image's tag is a digest of the grader and the exercises, computed only when needed."""

from __future__ import annotations

import subprocess
import sys

from grader.host.baseimages import notebook_kernel


def test_importing_the_grader_computes_no_kernel_tag() -> None:
    code = (
        "import grader.cli, grader.host.baseimages\n"
        "from grader.host.baseimages import notebook_kernel\n"
        "print(notebook_kernel.image_tag.cache_info().misses)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"


def test_the_tag_names_the_image_and_is_computed_once() -> None:
    notebook_kernel.image_tag.cache_clear()
    first = notebook_kernel.image_tag()
    assert first.startswith("docker-course/notebook-kernel:")
    assert notebook_kernel.image_tag() == first
    assert notebook_kernel.image_tag.cache_info().misses == 1
    assert notebook_kernel.recipe().name == first
