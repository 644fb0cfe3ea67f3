"""What the host keeps of an executed notebook, and which graded cells it scores itself."""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode

from grader.course.notebook_score import CheckCell, calls_a_check, check_indices, merge, with_scores

GRADED = {"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 3, "grade_id": "c"}}


def _notebook() -> NotebookNode:
    answer = nbformat.v4.new_code_cell("!docker run --name web busybox")
    check = nbformat.v4.new_code_cell('from grader.notebook import check\ncheck("x.y")', metadata=GRADED)
    return nbformat.v4.new_notebook(cells=[answer, check])


def test_check_cells_are_those_ending_with_check_or_task() -> None:
    assert calls_a_check('from grader.course.notebook import check\n\ncheck("networks.cats-and-dogs")')
    assert calls_a_check('import grader.notebook\ngrader.notebook.task("A task", expect(1, "", f))')
    assert not calls_a_check("assert answer == 42")
    assert not calls_a_check('check("x")\nprint("done")')
    assert not calls_a_check("check(")


def test_the_host_keeps_outputs_and_counts_but_never_the_kernel_s_cells() -> None:
    restored = _notebook()
    executed = _notebook()
    executed.cells[0].execution_count, executed.cells[0].outputs = (
        1,
        [nbformat.v4.new_output("stream", text="x")],
    )
    executed.cells[1].metadata = {"nbgrader": {**GRADED["nbgrader"], "points": 100}}
    executed.cells[1].source = "100"

    merged = merge(restored, executed)

    assert merged.cells[0].execution_count == 1 and merged.cells[0].outputs[0].text == "x"
    assert merged.cells[1].metadata == GRADED and merged.cells[1].source == restored.cells[1].source
    assert merged.cells[1].execution_count is None and merged.cells[1].outputs == []


def test_a_notebook_of_another_shape_counts_as_not_run() -> None:
    executed = _notebook()
    executed.cells.append(nbformat.v4.new_code_cell("print(1)", execution_count=3))
    for cell in executed.cells:
        cell.execution_count = 1
    assert [cell.execution_count for cell in merge(_notebook(), executed).cells] == [None, None]
    assert [cell.execution_count for cell in merge(_notebook(), None).cells] == [None, None]


def test_only_the_host_s_outputs_reach_a_check_cell() -> None:
    merged = _notebook()
    merged.cells[1].execution_count = 2
    merged.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "100"})]
    at = check_indices(merged, [CheckCell("c", merged.cells[1].source)])
    assert list(at) == [1]

    with_scores(merged, {}, set(at))
    assert (merged.cells[1].execution_count, merged.cells[1].outputs) == (None, [])

    host = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]
    with_scores(merged, {1: host}, set(at))
    assert (merged.cells[1].execution_count, merged.cells[1].outputs) == (2, host)
