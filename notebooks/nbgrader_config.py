"""nbgrader's configuration for the course: this folder is the course directory.

    notebooks/source/<NN-topic>/<topic>.ipynb   the instructor's notebooks (with solutions)
    notebooks/release/...                       the students' versions, made by `grader notebooks`

Answer cells are mostly shell commands (`%%bash`), so a cleared solution becomes a
comment to replace, not Python's `raise NotImplementedError()`.
"""

c = get_config()  # noqa: F821 - nbgrader provides it

c.CourseDirectory.course_id = "docker-course"
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = 300
