"""The guard: a Docker API proxy on a unix socket that refuses what `policy` refuses.

One thread per client connection reads one request at a time and asks the
policy. The engine sees only what the guard re-serialised from what it
checked: `request` reads each request strictly (a request it cannot read in
exactly one way, as Python and as the engine's Go, is answered `400` and
noted among the refusals, unless the client merely left halfway) and
rebuilds it: canonical path and query, allowlisted headers, a new framing, and
a JSON configuration the policy read re-serialised (`body.canonical_json`);
the policy judges that rebuilt request, and it is what the engine gets. A
refused request is answered `403` with the policy's sentence (the docker CLI
prints it as `Error response from daemon: ...`); the refusals kept for the
feedback are bounded (MAX_REFUSALS, MAX_MESSAGE). An allowed one is sent on a
new connection to the sandbox engine with `Connection: close`. A response
framed by length or chunks is relayed and the client connection kept for its
next request; an upgraded one (`101`: `docker attach`, `exec`, `run -i`) or one
that ends with the connection becomes a two-way byte pipe, passing half-closes
on, until both sides are done. Bodies stream through 64 KB at a time; only the
small JSON configurations the policy reads are held whole.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SetupError
from grader.sandbox.guard import buildkit, h2relay, policy
from grader.sandbox.guard.body import CHUNK, at_most, canonical_json, framing, pieces, send_body
from grader.sandbox.guard.request import Request, read_request, upstream_headers
from grader.sandbox.guard.wire import BadMessage, CutShort, encode, json_response, read_head
from grader.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)

SOCKET_NAME = "docker.sock"
SOCKET_MODE_ROOT, FOLDER_MODE_ROOT = 0o600, 0o700  # a root grader's, for root runners
SOCKET_MODE_GROUP, FOLDER_MODE_GROUP = 0o660, 0o710  # otherwise its runners get the socket's group
MAX_CONNECTIONS = 64
MAX_REFUSALS = 200
"""Refusals kept for the feedback; a script refused in a loop must not fill the grader's memory."""
MAX_MESSAGE = 1000
"""A refusal's sentence as kept (it quotes what was sent, which may be up to 1 MB long)."""
MORE_REFUSALS = f"Refused: more requests than these {MAX_REFUSALS}; the rest are not listed."
ACCEPT_POLL_S = 0.1
CLOSE_TIMEOUT_S = 10
Socket = socket.socket
_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class EngineFailed(SetupError):
    """The engine's answer is not HTTP the guard can pass on (it closed early, or framed it oddly)."""


@dataclass(frozen=True)
class Refusal:
    """One request the guard refused: what the student's script sent, and what it was told."""

    method: str
    path: str
    message: str


class Guard:
    """A checked door to one sandbox engine, served on `socket`; use it as a context manager."""

    def __init__(
        self,
        upstream: str | os.PathLike[str],
        *,
        allowed_bind_roots: tuple[str, ...] = (),
        client_group: int | None = None,
    ) -> None:
        """`client_group`: the group of a runner that is not root (a sandbox's remapped root), to whom
        a root grader opens the socket; a grader that is not root opens it to its own group."""
        self.upstream = os.fspath(upstream)
        self.allowed_bind_roots = allowed_bind_roots
        self.client_group = client_group
        self.folder: Path | None = None
        self._lock = threading.Lock()
        self._refusals: list[Refusal] = []
        self._sockets: set[Socket] = set()
        self._threads: set[threading.Thread] = set()
        self._closing = threading.Event()

    def __enter__(self) -> Guard:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def socket(self) -> Path:
        """The guard's socket on the host (bind-mount its folder into the runner)."""
        assert self.folder is not None, "the guard is not started"
        return self.folder / SOCKET_NAME

    @property
    def refusals(self) -> list[Refusal]:
        """The requests refused so far, oldest first."""
        with self._lock:
            return list(self._refusals)

    def start(self) -> Path:
        """Listen on a new socket in a new folder, open to the grader's own user (and group) alone.

        A root runner without capabilities gets in as the owner when the grader runs
        as root (0700 and 0600); a runner that is the sandbox's remapped root, through
        `client_group`, which a root grader gives the socket (0710 and 0660, still
        root's); any runner through the grader's group, which it is given, when the
        grader is not root (0710 and 0660). The folder stays 0700 (mkdtemp's) until
        the socket's mode and group are set, so no one gets in between.
        """
        self.folder = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-guard-"))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket))
        by_root = os.getuid() == 0
        owner_only = by_root and self.client_group is None
        if by_root and self.client_group is not None:
            for path in (self.socket, self.folder):
                os.chown(path, -1, self.client_group)
        self.socket.chmod(SOCKET_MODE_ROOT if owner_only else SOCKET_MODE_GROUP)
        self.folder.chmod(FOLDER_MODE_ROOT if owner_only else FOLDER_MODE_GROUP)
        listener.listen(MAX_CONNECTIONS)
        listener.settimeout(ACCEPT_POLL_S)
        self._spawn(self._accept_loop, listener)
        return self.socket

    def close(self) -> None:
        """Stop accepting, cut every open connection, wait for the threads, remove the folder."""
        self._closing.set()
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        while True:
            with self._lock:
                sockets, threads = list(self._sockets), list(self._threads)
            if not threads or time.monotonic() > deadline:
                break
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            for thread in threads:
                thread.join(timeout=1)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _spawn(self, target: Callable[..., object], *args: object) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            except OSError as error:  # a side hung up
                log.debug("guard: %s: %r", target.__name__, error)
            except Exception as error:  # a thread's last resort: log, never a traceback
                log.warning("guard: %s failed: %r", target.__name__, error)
            finally:
                with self._lock:
                    self._threads.discard(thread)

        thread = threading.Thread(target=run, name=f"guard-{target.__name__}", daemon=True)
        with self._lock:  # started before `close` can see it: a thread not yet started cannot be joined
            self._threads.add(thread)
            thread.start()
        return thread

    def _track(self, sock: Socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _forget(self, sock: Socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    def _accept_loop(self, listener: Socket) -> None:
        with listener:
            while not self._closing.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                with self._lock:
                    full = len(self._sockets) >= 2 * MAX_CONNECTIONS
                if full or self._closing.is_set():
                    client.close()
                    continue
                self._track(client)
                self._spawn(self._serve, client)

    def _serve(self, client: Socket) -> None:
        """Answer the requests of one client connection until either side is done."""
        try:
            with client.makefile("rb") as reader:
                while not self._closing.is_set() and self._one_request(client, reader):
                    pass
        except CutShort as error:  # the client left; no one is there to be told
            log.debug("guard: %s", error)
        except BadMessage as error:
            self._refuse_unreadable(client, error)
        except EngineFailed as error:
            if self._closing.is_set():  # `close` cut the answer short (a wait still under way, say)
                log.debug("guard: %s", error)
                return
            log.warning("guard: %s", error)
            with contextlib.suppress(OSError):
                client.sendall(json_response("502 Bad Gateway", f"{error}.", close=True))
        finally:
            self._forget(client)

    def _one_request(self, client: Socket, reader: io.BufferedReader) -> bool:
        """Refuse or forward the next request; whether the connection takes another."""
        request = read_request(reader)
        if request is None:
            return False
        try:
            return self._answer(client, reader, request)
        except BadMessage as error:  # in its body
            error.start = request.start
            raise

    def _answer(self, client: Socket, reader: io.BufferedReader, request: Request) -> bool:
        log.debug("guard: %s", request.start)
        if request.expect_continue:
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        message, body = self._check(request, pieces(reader, request.frame))
        if message is None:
            return self._forward(client, reader, buildkit.forwarded(request), body)
        message = self._record(Refusal(request.method, request.path, message))
        for _ in body:  # read what the client still sends, so that it reads the answer
            pass
        client.sendall(json_response("403 Forbidden", message, close=not request.keep_alive))
        return request.keep_alive

    def _record(self, refusal: Refusal) -> str:
        """Keep a refusal for the feedback (its sentence cut to MAX_MESSAGE, at most MAX_REFUSALS of them);
        the sentence as kept, which the client is told too."""
        message = refusal.message
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        kept = Refusal(refusal.method[:20], refusal.path[:200], message)
        if kept.path in buildkit.PROBES:  # the CLI's own question, answered "no": not the student's doing
            log.info("guard refused the CLI's probe %s", kept.path)
            return message
        with self._lock:
            if len(self._refusals) < MAX_REFUSALS:
                self._refusals.append(kept)
            elif len(self._refusals) == MAX_REFUSALS:
                self._refusals.append(Refusal("", "", MORE_REFUSALS))
        log.info("guard refused %s %s: %s", kept.method, kept.path, kept.message)
        return message

    def _refuse_unreadable(self, client: Socket, error: BadMessage) -> None:
        """Answer `400` to a request the guard cannot read in exactly one way, and note it as refused."""
        message = (
            f"Refused: the request could not be read in exactly one way ({error}), so it was not passed on."
        )
        method, _, rest = error.start.partition(" ")
        target = rest.rpartition(" ")[0] or rest
        message = self._record(Refusal(method, target.partition("?")[0], message))
        with contextlib.suppress(OSError):
            client.sendall(json_response("400 Bad Request", message, close=True))

    def _check(self, request: Request, body: Iterator[bytes]) -> tuple[str | None, Iterable[bytes]]:
        """The policy's refusal, if any, and the body to forward.

        A body the policy reads is held whole and replaced by its canonical form
        (`body.canonical_json`): the policy judges, and the engine decodes, the same bytes.
        """
        if buildkit.endpoint(request.path) or (request.upgrade or "").lower() == "h2c":
            return buildkit.upgrade_refusal(request), body  # BuildKit's HTTP/2: `h2relay`
        kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if kind in _FORMS:
            return policy.FORM_BODY, body
        if not policy.needs_body(request.method, request.path):
            return self._refusal(request, b""), body
        whole = at_most(body, policy.MAX_JSON_BODY)
        if whole is None:
            return policy.TOO_LARGE, body
        canonical = canonical_json(whole)
        if canonical is None:
            return policy.NOT_JSON, []
        return self._refusal(request, canonical), [canonical]

    def _refusal(self, request: Request, body: bytes) -> str | None:
        roots = self.allowed_bind_roots
        return policy.refusal(request.method, request.path, request.query, body, allowed_bind_roots=roots)

    def _forward(
        self, client: Socket, reader: io.BufferedReader, request: Request, body: Iterable[bytes]
    ) -> bool:
        """Send the request to the engine on a connection of its own and relay the answer.

        `body` is a list when it was held whole (sent with its length), else it streams as it came.
        """
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._track(upstream)
        try:
            try:
                upstream.connect(self.upstream)
            except OSError:
                client.sendall(json_response("502 Bad Gateway", "The engine is not answering.", close=True))
                return False
            frame = sum(map(len, body)) if isinstance(body, list) else request.frame
            upstream.sendall(encode(request.start, upstream_headers(request, frame)))
            sent_all = True
            try:
                send_body(upstream, iter(body), chunked=frame == "chunked")
            except (BrokenPipeError, ConnectionResetError):
                sent_all = False  # the engine answered early; relay its answer, then close
            with upstream.makefile("rb") as answers:
                try:
                    return self._relay(client, reader, upstream, answers, request) and sent_all
                except BadMessage as error:
                    raise EngineFailed(f"The engine's answer could not be passed on: {error}") from error
        finally:
            self._forget(upstream)

    def _relay(
        self,
        client: Socket,
        reader: io.BufferedReader,
        upstream: Socket,
        answers: io.BufferedReader,
        request: Request,
    ) -> bool:
        """Pass the engine's answer on; whether the client connection takes another request."""
        while True:
            head = read_head(answers)
            if head is None:
                raise BadMessage("the engine closed the connection without answering")
            status = int(head.start.split(" ")[1])
            if status == 101 or status >= 200:
                break
            client.sendall(encode(head.start, list(head.headers)))  # 1xx interim answers
        no_body = request.method == "HEAD" or status in (101, 204, 304)
        frame = 0 if no_body else framing(head, request=False)
        keep = request.keep_alive and frame != "close" and status != 101
        headers = list(head.headers) if status == 101 else head.without({"connection", "keep-alive"})
        if not keep and status != 101:
            headers.append(("Connection", "close"))
        elif keep and request.version == "HTTP/1.0":  # an HTTP/1.0 client closes unless told otherwise
            headers.append(("Connection", "keep-alive"))
        client.sendall(encode(head.start, headers))
        where = buildkit.endpoint(request.path) if status == 101 else None
        if where:
            record = lambda method, message: self._record(Refusal("POST", method, message))  # noqa: E731
            h2relay.relay(where, (client, reader), (upstream, answers), record)
            return False
        if status == 101 or frame == "close":
            self._pipe(reader, client, answers, upstream)
            return False
        send_body(client, pieces(answers, frame), chunked=frame == "chunked")
        return keep

    def _pipe(
        self,
        reader: io.BufferedReader,
        client: Socket,
        answers: io.BufferedReader,
        upstream: Socket,
    ) -> None:
        """Copy bytes both ways (a hijacked stream) until both sides have finished."""
        forward = self._spawn(_pump, reader, upstream)
        _pump(answers, client)
        forward.join()


def _pump(source: io.BufferedReader, destination: Socket) -> None:
    """Copy until `source` ends, then tell `destination` no more is coming (stdin's end, say)."""
    try:
        while data := source.read1(CHUNK):
            destination.sendall(data)
    except (OSError, ValueError):  # the other side is gone, or the guard closed the connection
        pass
    finally:
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)


def guard_of(sandbox: Sandbox) -> Guard:
    """A guard for `sandbox`'s engine (not started): binds of its submission allowed where links there
    are inert, its socket open to the sandbox's runners."""
    return Guard(sandbox.socket, allowed_bind_roots=sandbox.bind_roots, client_group=sandbox.owner)
