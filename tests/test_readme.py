"""README.md (and the pages of docs/) say only what is true: the make targets it names exist, its
links lead somewhere, every `grader` command line it shows parses, and its tables of exit codes and
gradebook columns are the code's. No Docker engine is needed."""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

import click
import pytest

from grader.batch.gradebook import STATUSES, Gradebook
from grader.cli import main
from grader.exit_codes import BY_COMMAND, DEFAULT, Exit, meanings
from grader.model.exercise import ROOT
from grader.outputs import gradebook_csv

README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "demo" / "README.md"]

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INLINE = re.compile(r"`([^`\n]+)`")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks: (language, body)."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def _prose(text: str) -> str:
    """The text without its fenced code blocks."""
    return FENCE.sub("", text)


def _section(text: str, heading: str) -> str:
    """From a heading (its whole line) to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    after = text.split(f"\n{heading}\n", 1)[1]
    stop = re.search(rf"^#{{1,{len(level)}}} ", after, re.M)
    return after[: stop.start()] if stop else after


def _table(text: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table in `text`, without its header."""
    text = "\n" + text
    lines = text[text.index("\n|") + 1 :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _code(cell: str) -> str:
    """A table cell's first `code` span."""
    found = INLINE.search(cell)
    assert found, f"no code in {cell!r}"
    return found.group(1)


# -- make targets --------------------------------------------------------------


def _make_targets() -> tuple[set[str], set[str]]:
    """The Makefile's targets, and those it declares .PHONY."""
    text = MAKEFILE.read_text()
    targets = set(re.findall(r"^([A-Za-z][\w.-]*):", text, re.M))
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())  # type: ignore[union-attr]
    return targets, phony


def _named_make_targets(text: str) -> set[str]:
    inline = {
        m.group(1) for span in INLINE.findall(_prose(text)) if (m := re.match(r"make (\w[\w-]*)", span))
    }
    blocks = {
        m.group(1)
        for language, body in _blocks(text)
        if language in {"sh", "bash", "console", ""}
        for line in body.splitlines()
        if (m := re.match(r"^(?:\$ )?make (\w[\w-]*)", line))
    }
    return inline | blocks


def test_every_make_target_the_readme_names_exists() -> None:
    targets, _ = _make_targets()
    named = _named_make_targets(_text())
    assert {"lab", "demo", "check", "test"} <= named
    assert named <= targets, f"not in the Makefile: {sorted(named - targets)}"


def test_the_make_table_lists_every_target_of_the_makefile() -> None:
    _, phony = _make_targets()
    rows = _table(_section(_text(), "### The `make` targets"))
    listed = [_code(row[0]) for row in rows]
    assert all(name.startswith("make ") for name in listed)
    assert sorted(name.removeprefix("make ") for name in listed) == sorted(phony)


# -- links ---------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(path.read_text(encoding="utf-8")), re.M):
        slug, n = _slug(heading), 1
        while slug in anchors:
            slug, n = f"{_slug(heading)}-{n}", n + 1
        anchors.add(slug)
    return anchors


def _links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(_prose(path.read_text(encoding="utf-8")))
        if not re.match(r"[a-z]+:", target)
    ]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_link_inside_the_repository_leads_somewhere(page: Path) -> None:
    for target in _links(page):
        where, _, anchor = target.partition("#")
        path = (page.parent / where).resolve() if where else page
        assert path.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
        assert path.is_relative_to(ROOT), target
        if anchor:
            assert path.suffix == ".md", target
            assert anchor in _anchors(path), f"{page.relative_to(ROOT)}: no heading for {target}"


def test_the_readme_links_the_moved_pages_and_shows_pictures() -> None:
    links = _links(README)
    for page in ("docs/architecture.md", "docs/costs.md", "docs/threat-model.md"):
        assert page in links
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", _text())
    assert len(pictures) >= 2
    for picture in pictures:
        assert (ROOT / picture).stat().st_size < 200_000, f"{picture}: keep pictures small"


def test_the_slugs_are_github_s() -> None:
    assert _slug("The `make` targets") == "the-make-targets"
    assert _slug("From an nbgrader course to grades") == "from-an-nbgrader-course-to-grades"
    assert _slug("What works where") == "what-works-where"


# -- grader command lines ------------------------------------------------------


def _command_lines(text: str) -> list[str]:
    """Every `grader ...` command of the shell code blocks (`$ ` lines of console blocks), with
    continuation lines joined, comments dropped and `&&`, `|`, `;` split apart."""
    found = []
    for language, body in _blocks(text):
        if language not in {"sh", "bash", "console", ""}:
            continue
        body = body.replace("\\\n", " ")
        for line in body.splitlines():
            if language == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            line = re.sub(r"(^|\s)#.*$", "", line)
            for part in re.split(r"&&|\|\||[|;]", line):
                words = part.split()
                if words and (words[0] == "grader" or words[0].endswith("/grader")):
                    found.append(" ".join(["grader", *words[1:]]))
    return found


def _parse(line: str) -> None:
    """Parse a command line as `grader` would (options, arguments, subcommands), without running it
    and without converting values, so that placeholders (`EXERCISE_ID`, `[--jobs N]`) pass."""
    words = [w.strip("[]") for w in shlex.split(line)[1:]]
    words = [w for w in words if w and w != "..."]
    command: click.Command = main
    # the group's own settings (its -h), passed down as click does: a context without them would
    # make click cache a help option without -h on the command
    context = click.Context(main, info_name="grader", **main.context_settings)
    while isinstance(command, click.Group):
        assert words, f"{line}: a command of {context.command_path} is missing"
        name = words.pop(0)
        assert name in command.commands, f"{line}: no command {name!r}"
        command = command.commands[name]
        context = click.Context(command, parent=context, info_name=name)
    parser = command.make_parser(context)
    try:
        opts, extra, _ = parser.parse_args(args=words)
    except click.UsageError as error:
        raise AssertionError(f"{line}: {error.format_message()}") from error
    assert not extra or command.allow_extra_args, f"{line}: unexpected {extra}"
    for parameter in command.params:
        if isinstance(parameter, click.Argument) and parameter.required:
            given = opts.get(parameter.name)
            assert isinstance(given, (str, tuple)) and given, (
                f"{line}: {parameter.human_readable_name} is missing"
            )


def test_the_readme_shows_grader_command_lines() -> None:
    lines = _command_lines(_text())
    assert len(lines) > 20
    assert any(line.startswith("grader batch ") for line in lines)
    assert "grader check dockerfiles.hello demo/submitted/ben/dockerfiles.hello" in lines


@pytest.mark.parametrize("line", sorted(set(_command_lines(README.read_text(encoding="utf-8")))))
def test_every_grader_command_line_in_the_readme_parses(line: str) -> None:
    _parse(line)


@pytest.mark.parametrize(
    "line",
    [
        "grader chek x",
        "grader check dockerfiles.hello x --jsn",
        "grader batch",
        "grader batch x --jobs",
        "grader images",
        "grader exercises extra",
    ],
)
def test_a_wrong_command_line_does_not_parse(line: str) -> None:
    with pytest.raises(AssertionError):
        _parse(line)


# -- exit codes ------------------------------------------------------------------


def test_the_exit_code_table_is_grader_s() -> None:
    text = _text()
    table = text[text.index("**Exit codes.**") :]
    rows = _table(table)
    codes = [int(row[0]) for row in rows]
    assert codes == sorted(int(code) for code in Exit)
    used = {code for command in BY_COMMAND for code in meanings(command)} | set(DEFAULT)
    assert set(codes) == {int(code) for code in used}
    assert "`grader/exit_codes.py`" in table.split("\n\n", 1)[0]
    named = 0
    for row in rows:
        for name in INLINE.findall(row[1]):
            if name in BY_COMMAND:
                named += 1
                assert Exit(int(row[0])) in meanings(name), f"`{name}` never exits {row[0]}"
    assert named >= 10


# -- gradebook columns -----------------------------------------------------------


def _book() -> Gradebook:
    return Gradebook(
        exercises=["dockerfiles.hello"],
        students={},
        weights={"dockerfiles.hello": 20},
        points={"dockerfiles.hello": 10},
    )


def _columns_section() -> str:
    return _section(_text(), "### What each gradebook column means")


def test_the_gradebook_columns_are_those_gradebook_csv_writes() -> None:
    rows = _table(_columns_section())
    documented = [
        _code(row[0])
        .replace("<exercise>", "dockerfiles.hello")
        .replace("max M", "max 10")
        .replace("weight W", "weight 20")
        for row in rows
    ]
    assert documented == gradebook_csv.header(_book(), ids=True)
    example = next(row[1] for row in rows if row[0].startswith("`<exercise>"))
    assert f"`{gradebook_csv.column(_book(), 'dockerfiles.hello')}`" in example


def test_the_two_rows_under_the_header_are_those_gradebook_csv_writes() -> None:
    section = _columns_section()
    tables = section.split("\n\n| Row |", 1)[1]
    rows = _table("| Row |" + tables)
    assert (
        [_code(row[0]) for row in rows]
        == [line[0] for line in gradebook_csv.limits(_book(), ids=True)]
        == [gradebook_csv.MAXIMUM, gradebook_csv.WEIGHT]
    )


def test_the_statuses_are_the_gradebook_s() -> None:
    section = _columns_section()
    rows = _table(section[section.index("| `status` | Meaning |") :])
    assert {_code(row[0]): row[1] for row in rows} == STATUSES


def test_the_sample_gradebook_has_the_columns_gradebook_csv_writes() -> None:
    sample = next(body for language, body in _blocks(_columns_section()) if language == "csv")
    header, maximum, weight, *students = list(csv.reader(io.StringIO(sample)))
    assert header[0] == "student"
    assert header[-5:] == ["total", "possible", "percent", "status", gradebook_csv.LATE]
    assert all(re.fullmatch(r"\S+ \(max \d+, weight \d+\)", cell) for cell in header[1:-5])
    assert (maximum[0], weight[0]) == (gradebook_csv.MAXIMUM, gradebook_csv.WEIGHT)
    assert students and all(len(row) == len(header) for row in (maximum, weight, *students))
    assert all(row[-2] in STATUSES for row in students)


def _inline_commands(text: str) -> list[str]:
    """The `grader ...` code spans of the prose: often fragments (`grader batch --scheduler`)."""
    return sorted({span for span in INLINE.findall(_prose(text)) if span.startswith("grader ")})


def _names_exist(span: str) -> None:
    """A fragment names a real command, and options that command has."""
    words = [w.strip("[]") for w in shlex.split(span)[1:]]
    command: click.Command = main
    context = click.Context(main, info_name="grader", **main.context_settings)
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        name = words.pop(0)
        if name == "COMMAND":  # `grader COMMAND --help`
            return
        assert name in command.commands, f"{span}: no command {name!r}"
        command = command.commands[name]
        context = click.Context(command, parent=context, info_name=name)
    options = {opt for parameter in command.get_params(context) for opt in parameter.opts}
    for word in words:
        if word == "--":
            break
        if word.startswith("-"):
            assert word.split("=", 1)[0] in options, f"{span}: {context.command_path} has no {word}"


def test_the_readme_names_commands_in_its_prose() -> None:
    assert len(_inline_commands(_text())) > 20


@pytest.mark.parametrize("span", _inline_commands(README.read_text(encoding="utf-8")))
def test_every_grader_command_the_prose_names_exists_with_its_options(span: str) -> None:
    _names_exist(span)


@pytest.mark.parametrize("span", ["grader chek", "grader batch --jbos", "grader images prepair"])
def test_a_wrong_command_in_the_prose_is_found(span: str) -> None:
    with pytest.raises(AssertionError):
        _names_exist(span)
