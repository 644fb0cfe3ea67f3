"""The grader's exceptions: one tree, so that what went wrong decides what the user is told.

Every exception class the grader defines derives from one of the four branches below (defined
here, or next to the code that raises it), and keeps the built-in base its callers catch
(`ValueError`, `LookupError`, `RuntimeError`) as a second base:

```
GraderError
├── SubmissionError   the student's work: the submission, its Dockerfile or script, a check that
│   │                 could not run because of it
│   ├── Refused, ContextRefused              (sandbox.walk, sandbox.context) a tree not to grade
│   ├── BadMessage ── CutShort               (sandbox.guard.wire) a script's malformed request
│   ├── Malformed, Closed                    (sandbox.guard.protowire, .h2relay) a build's broken
│   │                                        gRPC message or HTTP/2 connection
│   ├── ContainerStopped                     (sandbox.containers) a container that should run
│   ├── ShellError                           (checks.shell) the checked container's shell ended
│   ├── Unavailable                          (checks.plugin) what a check needs is not there
│   ├── NoAnswer                             (checks.toolkit) a registry the student ran is silent
│   ├── MissingState                         (quiz.live) the student's engine lacks an object
│   └── GradingDied                          (batch.workers) grading killed its process
├── SetupError        this machine: no engine, missing packages, no mirror, a base image or an
│   │                 nbgrader step that failed
│   ├── EngineUnavailable ── ClusterUnavailable   (host.engine, batch.cluster)
│   ├── MissingPackages, NoDebianMirror      (host.system)
│   ├── BuildFailed, PrepareFailed           (host.baseimages)
│   ├── SandboxError, EngineFailed           (sandbox.sandbox, sandbox.guard.proxy)
│   ├── NbgraderFailed                       (course.nbgrade)
│   └── WrongGrader                          (batch.workers) a worker of another grader
├── InputError        the user's input to the grader: an unknown exercise, image or quiz topic,
│   │                 a bad assignment or overrides file, a folder of no known layout, a result
│   │                 that cannot be replayed
│   ├── UnknownExercise                      (model.exercise)
│   ├── UnknownImage, UnknownEngine          (host.baseimages)
│   ├── NotLive                              (grading.live)
│   ├── QuizError ── UnknownTopic            (quiz.bank)
│   ├── AssignmentError, PlanError, LayoutError   (batch.assignment, batch.plan, batch.layout)
│   └── CannotReplay                         (batch.replay)
└── Interrupted       a step stopped before its end on purpose, caught by the code that started
                      it: a time limit, the student quitting, the engine gone for a while
    ├── Expired, CommandTimeout              (checks.shell) a command's deadline
    ├── CheckTimeout                         (checks.plugin) a check's time limit
    ├── Quit                                 (quiz.terminal) the student quit the quiz
    └── EngineLost                           (batch.batch) a worker lost the engine
```

The `grader` command maps each branch to one exit code (`grader.exit_codes.BY_BRANCH`) and prints
the error's message; any other exception reaching it is a bug of the grader: the user is told so,
and the traceback goes to a log file whose path is printed.
"""

from __future__ import annotations


class GraderError(Exception):
    """Something the grader knows how to tell its user; the message says what and what to do."""

    summary = ""
    """A sentence the `grader` command prints before the message (e.g. "The engine is not available.")."""


class SubmissionError(GraderError):
    """A problem of the student's work: the submission, its Dockerfile, its script, or a check that
    could not run because of it."""


class SetupError(GraderError):
    """A problem of this machine: no engine, missing packages, no mirror, a base image or an
    nbgrader step that failed."""


class InputError(GraderError):
    """A problem of the user's input to the grader: an unknown name, a bad file or folder."""


class Interrupted(GraderError):
    """A step stopped before its end on purpose (a time limit, the student quitting, the engine gone
    for a while); the code that started the step catches it."""


BRANCHES: tuple[type[GraderError], ...] = (SubmissionError, SetupError, InputError, Interrupted)


def branch(error: GraderError) -> type[GraderError]:
    """The branch of the tree `error` belongs to (GraderError itself when none)."""
    return next((kind for kind in BRANCHES if isinstance(error, kind)), GraderError)
