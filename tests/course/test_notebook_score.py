"""What the host keeps of an executed notebook, which graded cells it scores itself, and what it takes
of the student's answers (literals only, from hostile kernels)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.course.notebook import Sandboxed
from grader.course.notebook_run import MAX_NAMES, MAX_VALUE_CHARS, free_names
from grader.course.notebook_score import (
    ANSWER_ITEMS,
    ANSWERS_BYTES,
    NOT_AN_ANSWER,
    CheckCell,
    answer,
    answers,
    calls_a_check,
    check_indices,
    merge,
    read_answers,
    run,
    with_scores,
)
from tests.course.notebooks import graded_cells, nbgrader, notebook_path, present

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


INIT_PID_CHECK = """\
from grader.notebook import expect, task


def host_pid_is(env, value):
    if value != 4242:
        raise AssertionError(f"init_pid is {value!r}")


task("Find the init process", expect(2, "init_pid is 4242.", lambda env: host_pid_is(env, init_pid)))
"""


def test_a_check_cell_takes_from_the_kernel_only_the_names_it_reads_and_never_defines() -> None:
    assert free_names(INIT_PID_CHECK) == ["init_pid"]
    assert free_names('task("t", expect(1, "x", lambda env: globals().get("web_port")))') == ["web_port"]
    assert free_names('globals()["port"] + globals().get(name) + globals()["not an id"]') == ["name", "port"]
    grader_s = "check('x.y')\ntask(expect)\nclean_up()\nprint(len(__name__), int, AssertionError)"
    assert free_names(grader_s) == [], "the grader's names, builtins and dunders are never answers"
    bound = "import os.path as p, sys\nfrom m import a\nclass C: pass\ndef f(x, *y, k=1, **z): return x\n"
    bound += (
        "try:\n    pass\nexcept E as e:\n    e\nfor i in []: i\n[j for j in i]\nw = lambda q: q\nw, p, sys"
    )
    assert free_names(bound + ", a, C, f, e, E") == ["E"]
    assert free_names("from x import *\nanswer") == [], "a star import may define anything"
    assert free_names("check(") == []
    assert len(free_names(" + ".join(f"n{i}" for i in range(100)))) == MAX_NAMES


def test_the_course_s_check_cells_read_only_init_pid_and_web_port_from_the_kernel() -> None:
    read = {
        (assignment, nbgrader(cell)["grade_id"]): names
        for assignment in present()
        for cell in graded_cells(nbformat.read(notebook_path(assignment), as_version=4))
        if (names := free_names(cell.source))
    }
    assert read == {
        ("03-ports", "web-check"): ["web_port"],
        ("09-under-the-hood", "init-pid-check"): ["init_pid"],
    }


def test_answers_are_small_literals_and_nothing_else() -> None:
    for text, value in [
        ("4242", 4242),
        ("-1.5", -1.5),
        ("'80'", "80"),
        ("None", None),
        ("True", True),
        ("[1, (2, 'a'), {'k': [None]}]", [1, (2, "a"), {"k": [None]}]),
        ("'" + "x" * (MAX_VALUE_CHARS - 2) + "'", "x" * (MAX_VALUE_CHARS - 2)),
    ]:
        assert answer(text) == value, text
    hostile: list[object] = [
        "__import__('os').system('touch /tmp/pwned')",  # what a repr may claim: parsed, never run
        "open('/etc/passwd').read()",
        "(lambda: 1)()",
        "10**10**10",  # no arithmetic
        "[0] * 10**9",
        "f'{__import__(\"os\")}'",
        "<__main__.Evil object at 0x7f>",  # an object's default repr
        "'" + "x" * MAX_VALUE_CHARS + "'",  # too long
        "[" * 100_000 + "]" * 100_000,  # too long, and far too deep for the parser
        "[" * 1_000 + "]" * 1_000,  # too deep for the parser
        "[[[[1]]]]",  # deeper than ANSWER_DEPTH
        str(list(range(ANSWER_ITEMS + 1))),
        "{(1, 2): 3}",  # keys are scalars
        "{1, 2}",  # sets, bytes, complex and Ellipsis are literals, not answers
        "b'x'",
        "1j",
        "...",
        "1\x00",
        "",
        None,
        4242,  # not text
    ]
    for claimed in hostile:
        assert answer(claimed) is NOT_AN_ANSWER, str(claimed)[:40]
    assert answer("1" * 4_000) == int("1" * 4_000), "a big int within MAX_VALUE_CHARS is still an int"


def test_the_kernel_s_answers_never_shadow_the_grader_s_names_nor_the_cell_s_own() -> None:
    said = {
        "init_pid": "4242",
        "task": "'forged'",
        "check": "100",
        "expect": "None",
        "host_pid_is": "0",
        "__builtins__": "{}",
        "__name__": "'x'",
        "AssertionError": "None",
        "extra": "1",
    }
    assert answers(INIT_PID_CHECK, said) == {"init_pid": 4242}
    assert answers(INIT_PID_CHECK, {"init_pid": "__import__('os')"}) == {}
    assert answers(INIT_PID_CHECK, {}) == {}


def _points(outputs: list[NotebookNode]) -> str:
    return "".join(o.get("data", {}).get("text/plain", o.get("ename", "")) for o in outputs)


def test_a_check_cell_runs_with_the_kernel_s_answer_bound_and_its_code_never_run(tmp_path: Path) -> None:
    where = Sandboxed(client=None, address="127.0.0.1", folder=tmp_path)  # type: ignore[arg-type]
    assert _points(run(INIT_PID_CHECK, where, {"init_pid": "4242"})) == "2"
    assert _points(run(INIT_PID_CHECK, where, {"init_pid": "4243"})) == "0"
    assert _points(run(INIT_PID_CHECK, where, {})) == "0", (
        "a name the kernel lacks fails that expectation alone"
    )
    pwned = tmp_path / "pwned"
    code = f"__import__('pathlib').Path({str(pwned)!r}).touch() or 4242"
    assert _points(run(INIT_PID_CHECK, where, {"init_pid": code})) == "0"
    assert not pwned.exists(), "the host ran none of the kernel's text"


def test_the_kernel_s_answers_file_is_read_bounded(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    assert read_answers(path) == {}
    path.write_text(json.dumps({"init_pid": "4242", "odd": 1, "list": ["x"]}))
    assert read_answers(path) == {"init_pid": "4242"}
    for hostile in ["[1]", "not json", "[" * 100_000, json.dumps({"x": "y" * ANSWERS_BYTES})]:
        path.write_text(hostile)
        assert read_answers(path) == {}, hostile[:20]
    link = tmp_path / "link.json"
    link.symlink_to(path)
    path.write_text(json.dumps({"init_pid": "4242"}))
    assert read_answers(link) == {}
    assert read_answers(tmp_path) == {}
