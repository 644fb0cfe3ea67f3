"""What a Dockerfile would fetch from the network: `ADD` of a URL, a base image that is not loaded.

Builds here have no network unless the exercise declares one, so such a Dockerfile
is refused before its build with one sentence per line that asks for the network
("line 1: `FROM alpine` needs an image the exercise does not provide; ...").

The reading follows Docker's parser, kept small: parser directives (`# escape=`),
comments, `\\` continuations, instruction names in any case, `ARG` defaults before
the first FROM, stage names, and BuildKit's heredocs (`RUN <<EOT`, `COPY <<EOF /path`,
read as buildkit's `frontend/dockerfile/parser` reads them): after a shell-form RUN, COPY
or ADD (an ONBUILD one too) whose words include `<<NAME`, `<<-NAME` or `<<"NAME"`, the
lines up to the one that is exactly NAME (its leading tabs dropped for `<<-`) are that
heredoc's body, taken as they are (no comment, continuation or instruction in them), so
a `FROM alpine` inside a script is never taken for a base image.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.model.failure import code

DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
DIRECTIVES = ("escape", "syntax", "check")  # any other comment ends the directives
HEREDOC = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")  # buildkit's reHeredoc, tried on each word
HEREDOC_INSTRUCTIONS = ("RUN", "COPY", "ADD")
VARIABLE = re.compile(r"\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))")
REMOTE = ("http://", "https://", "git@", "git://", "ssh://")


@dataclass(frozen=True)
class Instruction:
    """One instruction: the line it starts on, its name in capitals, the rest (continuations joined)."""

    line: int
    keyword: str
    args: str
    heredocs: tuple[str, ...] = ()
    """The bodies of its heredocs, in order, each line ending with its newline."""


def instructions(dockerfile: str) -> list[Instruction]:
    """The instructions of `dockerfile`, as Docker's parser reads them."""
    escape = "\\"
    directives = True
    content = dockerfile.removeprefix("\ufeff")
    lines = [line.removesuffix("\r") for line in content.removesuffix("\n").split("\n")]  # as Go's scanner
    found: list[Instruction] = []
    index = 0
    while index < len(lines):
        number, text = index + 1, lines[index].lstrip()
        index += 1
        directive = DIRECTIVE.match(text) if directives else None
        if directive and directive[1].lower() in DIRECTIVES:
            if directive[1].lower() == "escape" and directive[2] in ("\\", "`"):
                escape = directive[2]
            continue
        directives = False
        if not text or text.startswith("#"):
            continue
        joined, ended = _continued(text, escape)
        while not ended and index < len(lines):
            text, index = lines[index], index + 1
            if text.strip() and not text.lstrip().startswith("#"):  # skipped inside an instruction
                more, ended = _continued(text, escape)
                joined += more
        keyword, args = _split(joined)
        bodies: list[str] = []
        for name, chomp in _heredoc_names(keyword, args):
            body, index = _heredoc_body(lines, index, name, chomp=chomp)
            bodies.append(body)
        found.append(Instruction(number, keyword.upper(), args, tuple(bodies)))
    return found


def _heredoc_names(keyword: str, args: str) -> list[tuple[str, bool]]:
    """The heredocs an instruction opens: each one's terminating word, and whether `<<-` drops
    leading tabs. Only a shell-form RUN, COPY or ADD (or ONBUILD of one) opens any."""
    if keyword.upper() == "ONBUILD":
        keyword, args = _split(args) if args.strip() else ("", "")
    if keyword.upper() not in HEREDOC_INSTRUCTIONS or "<<" not in args or _json_form(args):
        return []
    names = []
    for word in _raw_words(args):
        match = HEREDOC.match(word)
        name = _words(match[3]) if match and match[3] else []
        if len(name) == 1:
            names.append((name[0], match is not None and match[2] == "-"))
    return names


def _heredoc_body(lines: list[str], index: int, name: str, *, chomp: bool) -> tuple[str, int]:
    """The body from `lines[index]` up to the line that is exactly `name`, and the index after that
    line (the end of the file, for a heredoc never ended: the build fails on it anyway)."""
    body = []
    while index < len(lines):
        text, index = lines[index], index + 1
        if (text.lstrip("\t") if chomp else text) == name:
            break
        body.append(text + "\n")
    return "".join(body), index


def _json_form(args: str) -> bool:
    """Whether an instruction's arguments are its JSON (exec) form, which opens no heredoc."""
    words = args.split()
    try:
        parsed = json.loads(" ".join(words[len(_leading_flags(words)) :]))
    except ValueError:
        return False
    return isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)


def _raw_words(text: str) -> list[str]:
    """Shell-like words with their quotes kept (`<<"EOT"` stays one word), or blank-separated ones
    where quotes do not pair."""
    lexer = shlex.shlex(text, posix=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def network_refusals(dockerfile: str, images: Sequence[str]) -> list[str]:
    """One sentence for each line of `dockerfile` that would fetch from the network in a build that
    has only `images` (and no network): an `ADD` of a URL, a `FROM` or `COPY --from=` of an image
    that is neither loaded nor an earlier stage, a `FROM` whose image an ARG without default names."""
    loaded = {_normalized(image) for image in images}
    known: dict[str, str | None] = {}  # ARGs before the first FROM: what FROM may use
    values: dict[str, str] = {}  # every ARG default and ENV value: what ADD may use (a bound above)
    stages: list[str] = []  # earlier stages' names, in lower case ("" for a stage without one)
    said: list[str] = []
    for instruction in instructions(dockerfile):
        keyword, args, line = instruction.keyword, instruction.args, instruction.line
        if keyword in ("ARG", "ENV"):
            assigned = _assignments(args, legacy=keyword == "ENV")
            if keyword == "ARG" and not stages:
                known.update(
                    {k: _expand(v, known)[0] if v is not None else known.get(k) for k, v in assigned}
                )
            values.update({k: _expand(v, values)[0] for k, v in assigned if v is not None})
        elif keyword == "FROM":
            words = [word for word in args.split() if not word.startswith("--")]
            image, missing = _expand(words[0], known) if words else ("", [])
            if missing:
                said.append(_no_default(line, words[0], missing[0]))
            elif image and not _available(image, stages, loaded):
                resolved = f" (that is, {_code(image)})" if image != words[0] else ""
                said.append(_not_provided(line, f"FROM {words[0]}", images, stages, resolved))
            named = len(words) >= 3 and words[1].lower() == "as"
            stages.append(words[2].lower() if named else "")
        elif keyword == "COPY":
            source = next((w[len("--from=") :] for w in _flags(args) if w.lower().startswith("--from=")), "")
            earlier = stages[:-1]
            if source and not (_earlier_index(source, earlier) or _available(source, earlier, loaded)):
                said.append(_not_provided(line, f"COPY --from={source}", images, earlier))
        elif keyword == "ADD":
            said += [_fetches(line, source) for source in _sources(args, values) if _remote(source)]
    return said


# -- reading ----------------------------------------------------------------------------------


def _continued(text: str, escape: str) -> tuple[str, bool]:
    """A line without its continuation mark (the escape character, then blanks, at its end), and
    whether the instruction ends with it."""
    kept = re.sub(re.escape(escape) + r"[ \t]*$", "", text)
    return kept, kept == text


def _split(joined: str) -> tuple[str, str]:
    """An instruction's name and the rest, split at the first blank."""
    parts = joined.strip().split(maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _words(text: str) -> list[str]:
    """Shell-like words (quotes removed), or blank-separated ones where quotes do not pair."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _assignments(args: str, *, legacy: bool) -> list[tuple[str, str | None]]:
    """The names an ARG or ENV sets, with their values (None: an ARG without default).
    `ENV NAME value` (no `=`) is the older form: all after the name is the value."""
    words = _words(args)
    if legacy and words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(name, value if sep else None) for name, sep, value in (w.partition("=") for w in words)]


def _expand(text: str, values: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """`text` with `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:+word}` replaced from `values`, and
    the names used without a value or a default."""
    missing: list[str] = []

    def value(found: re.Match[str]) -> str:
        name = found[1] or found[4]
        have = values.get(name)
        if found[2] in (":-", "-"):
            return have if have else found[3]
        if found[2] in (":+", "+"):
            return found[3] if have else ""
        if have is None:
            missing.append(name)
        return have or ""

    return VARIABLE.sub(value, text), missing


def _flags(args: str) -> list[str]:
    """The `--name=value` flags at the start of an instruction's arguments."""
    return _leading_flags(args.split())


def _leading_flags(words: list[str]) -> list[str]:
    """The words that start with `--` before the first that does not."""
    flags: list[str] = []
    for word in words:
        if not word.startswith("--"):
            break
        flags.append(word)
    return flags


def _sources(args: str, values: dict[str, str]) -> list[str]:
    """What an ADD copies from (all but its last argument), shell or JSON form, variables replaced."""
    words = args.split()
    rest = " ".join(words[len(_leading_flags(words)) :])
    try:
        listed = json.loads(rest) if rest.startswith("[") else None
    except ValueError:
        listed = None
    if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
        paths = listed
    else:
        paths = [word.strip("\"'") for word in rest.split()]
    return [_expand(path, values)[0] for path in paths[:-1]]


# -- comparing --------------------------------------------------------------------------------


def _remote(source: str) -> bool:
    """Whether ADD would fetch `source` (a URL or a Git address) rather than copy a file."""
    return source.lower().startswith(REMOTE)


def _normalized(reference: str) -> str:
    """An image reference in full: `busybox` is `docker.io/library/busybox:latest`; a digest wins
    over a tag (`name:tag@sha256:...` is `name@sha256:...`)."""
    name, _, digest = reference.partition("@")
    tag = ""
    if name.rfind(":") > name.rfind("/"):
        name, _, tag = name.rpartition(":")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, path = ("docker.io" if first == "index.docker.io" else first), rest
    else:
        domain, path = "docker.io", name
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return f"{domain}/{path}@{digest}" if digest else f"{domain}/{path}:{tag or 'latest'}"


def _available(image: str, stages: list[str], loaded: set[str]) -> bool:
    """Whether `image` needs nothing fetched: `scratch`, an earlier stage's name or a loaded image."""
    return image.lower() == "scratch" or image.lower() in stages or _normalized(image) in loaded


def _earlier_index(source: str, earlier: list[str]) -> bool:
    """Whether `COPY --from=` names an earlier stage by its number (counted from 0)."""
    return source.isdigit() and int(source) < len(earlier)


# -- sentences --------------------------------------------------------------------------------


def _code(text: str) -> str:
    """Student text in a `code` span: one line, no backtick, bounded (grader.model.failure.code)."""
    return code(text, 120)


def _fetches(line: int, source: str) -> str:
    return (
        f"line {line}: {_code(f'ADD {source}')} fetches from the network, which builds here do not "
        "have: download the file into your folder and `COPY` it."
    )


def _not_provided(
    line: int, written: str, images: Sequence[str], stages: list[str], resolved: str = ""
) -> str:
    named = [stage for stage in stages if stage]
    choices = ", ".join(images) if images else "none (use `FROM scratch`)"
    also = f", or an earlier stage: {', '.join(_code(stage) for stage in named)}" if named else ""
    return (
        f"line {line}: {_code(written)}{resolved} needs an image the exercise does not provide; "
        f"use one of: {choices}{also}."
    )


def _no_default(line: int, written: str, name: str) -> str:
    return (
        f"line {line}: {_code(f'FROM {written}')} uses {_code(name)}, which has no value: give it a "
        f"default in an ARG before the first FROM (`ARG {name}=busybox`)."
    )
