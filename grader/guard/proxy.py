"""The guard: a Docker API proxy on a unix socket that refuses what `policy` refuses.

One thread per client connection reads one request at a time and asks the
policy. A refused request is answered `403` with the policy's sentence (the
docker CLI prints it as `Error response from daemon: ...`). An allowed one is
sent, re-framed from what was parsed, on a new connection to the sandbox
engine with `Connection: close`. A response framed by length or chunks is
relayed and the client connection kept for its next request; an upgraded one
(`101`: `docker attach`, `exec`, `run -i`) or one that ends with the
connection becomes a two-way byte pipe, passing half-closes on, until both
sides are done. Bodies stream through 64 KB at a time; only the small JSON
configurations the policy reads are held whole.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.guard import policy
from grader.guard.wire import (
    CHUNK,
    BadMessage,
    Request,
    at_most,
    encode,
    framing,
    json_response,
    pieces,
    read_head,
    read_request,
    send_body,
    upstream_headers,
)

log = logging.getLogger(__name__)

SOCKET_NAME = "docker.sock"
MAX_CONNECTIONS = 64
ACCEPT_POLL_S = 0.1
CLOSE_TIMEOUT_S = 10
Socket = socket.socket
_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True)
class Refusal:
    """One request the guard refused: what the student's script sent, and what it was told."""

    method: str
    path: str
    message: str


class Guard:
    """A checked door to one sandbox engine, served on `socket`; use it as a context manager."""

    def __init__(self, upstream: str | os.PathLike[str], *, allowed_bind_roots: tuple[str, ...] = ()) -> None:
        self.upstream = os.fspath(upstream)
        self.allowed_bind_roots = allowed_bind_roots
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
        """Listen on a new socket in a new folder, open to the runner whatever its user and capabilities."""
        self.folder = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-guard-"))
        self.folder.chmod(0o711)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket))
        self.socket.chmod(0o666)
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
        with self._lock:
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
        except BadMessage as error:
            with contextlib.suppress(OSError):
                client.sendall(json_response("400 Bad Request", f"Not passed on: {error}.", close=True))
        finally:
            self._forget(client)

    def _one_request(self, client: Socket, reader: io.BufferedReader) -> bool:
        """Refuse or forward the next request; whether the connection takes another."""
        request = read_request(reader)
        if request is None:
            return False
        log.debug("guard: %s", request.head.start)
        if "100-continue" in request.head.tokens("Expect"):
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = pieces(reader, request.frame)
        held = policy.needs_body(request.method, request.path)
        whole = at_most(body, policy.MAX_JSON_BODY) if held else b""
        message = self._judge(request, whole)
        if message is None:
            return self._forward(client, reader, request, [whole] if held and whole is not None else body)
        with self._lock:
            self._refusals.append(Refusal(request.method, request.path, message))
        log.info("guard refused %s %s: %s", request.method, request.path, message)
        for _ in body:  # read what the client still sends, so that it reads the answer
            pass
        client.sendall(json_response("403 Forbidden", message, close=not request.keep_alive))
        return request.keep_alive

    def _judge(self, request: Request, whole: bytes | None) -> str | None:
        if any(kind.split(";")[0].strip().lower() in _FORMS for kind in request.head.values("Content-Type")):
            return policy.FORM_BODY
        if whole is None:
            return policy.TOO_LARGE
        roots = self.allowed_bind_roots
        return policy.refusal(request.method, request.path, request.query, whole, allowed_bind_roots=roots)

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
            upstream.sendall(encode(request.head.start, upstream_headers(request, frame)))
            sent_all = True
            try:
                send_body(upstream, iter(body), chunked=frame == "chunked")
            except (BrokenPipeError, ConnectionResetError):
                sent_all = False  # the engine answered early; relay its answer, then close
            with upstream.makefile("rb") as answers:
                return self._relay(client, reader, upstream, answers, request) and sent_all
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
        client.sendall(encode(head.start, headers + [("Connection", "close")] * (not keep and status != 101)))
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
