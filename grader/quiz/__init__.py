"""Self-study quizzes: one bank file per topic, taken in a terminal or a notebook.

    from grader.quiz.widgets import quiz
    quiz("networks")

or `grader quiz networks` in a terminal; `grader quiz --progress` shows the scores so far.
"""
