"""BuildKit's HTTP/2 on `/grpc` and `/session`, terminated by the guard on each side and re-originated.

After the `101` the guard is an HTTP/2 server to the side that calls (the CLI
on `/grpc`, the engine on `/session`) and an HTTP/2 client to the side that
answers, each connection its own `h2.H2Connection`. It relays calls, never
frames: `h2` reads every frame strictly (the preface, frame sizes, header
compression, stream states, `CONTINUATION` backlogs, flow control) and the guard
writes each call anew from what it read: the method checked against the
allowlist of its direction (`buildkit`), a few headers kept (`:path`,
`content-type`, `grpc-timeout`, the metadata BuildKit reads), the body cut into
gRPC messages (a 5-byte prefix each) and sent on message by message. A
compressed message is refused (nothing compressed can be checked; the guard
offers the other side no compression), and so is one over MAX_MESSAGE. The
request of an inspected method (`buildkit.INSPECTED`: the two solves) is held
whole and judged before the other side sees any of it (sent on with one option
added: `buildkit.builtin_frontend`). A refused call gets a gRPC `PermissionDenied`
naming what was refused (buildx prints `ERROR: ... Refused: ...`), recorded like
any refusal. A peer that floods SETTINGS or PINGs, has the guard hold over
MAX_HELD bytes, or breaks HTTP/2, loses the connection.

Relaying raw frames after a glance would leave the engine to read bytes the
guard had not: HPACK state, padding, a frame split otherwise. Here what the
engine reads is what the guard wrote. Flow control carries through: what one
side sends is acknowledged (its window reopened) only once the other side's
window has taken it.
"""

from __future__ import annotations

import contextlib
import io
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from grader.errors import SubmissionError
from grader.sandbox.guard import buildkit
from grader.sandbox.guard.grpcframes import (
    ANSWER_HEADERS,
    MAX_MESSAGE,
    Flow,
    Headers,
    frame,
    headers_refusal,
    kept,
    messages,
    percent,
    request_headers,
)

MAX_INSPECTED = 4 * 1024 * 1024
MAX_STREAMS = 128
WINDOW = 1024 * 1024
HIGH_WATER = 2 * WINDOW
"""Bytes waiting for the other side's window beyond which the sender's window stays shut."""
MAX_HELD = 2 * MAX_MESSAGE  # per connection, unfinished messages and sends awaiting a window together
MAX_CONTROL_PER_S = {"SETTINGS": 200, "PING": 5000}
"""SETTINGS and PING frames a peer may send in a second. grpc-go pings once per burst of data it
receives (its bandwidth estimate): a build that prints thousands of lines a second (a fork bomb's
errors) makes over a thousand pings a second, which is no flood."""
READ_SIZE = 64 * 1024
PERMISSION_DENIED, INTERNAL = "7", "13"
_SETTINGS = {
    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
    h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
    h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 64 * 1024,
    h2.settings.SettingCodes.ENABLE_PUSH: 0,
}


class Closed(SubmissionError, ConnectionError):
    """The relay is over: a side left, or broke HTTP/2."""


@dataclass
class Call:
    method: str
    headers: Headers
    up: Flow
    down: Flow = field(default_factory=lambda: Flow(0))
    answered: bool = False


@dataclass
class Side:
    sock: socket.socket
    reader: io.BufferedReader
    conn: h2.connection.H2Connection
    out: queue.SimpleQueue[bytes | None] = field(default_factory=queue.SimpleQueue)
    window: float = 0.0  # when the current second of counting control frames began
    control: dict[str, int] = field(default_factory=dict)


def relay(
    where: str,
    client: tuple[socket.socket, io.BufferedReader],
    engine: tuple[socket.socket, io.BufferedReader],
    record: Callable[[str, str], str],
) -> None:
    """Relay the calls of one upgraded connection until either side is done: `where` is `grpc` (the
    client calls the engine) or `session` (the engine calls the client); `record(method, message)`
    notes a refusal and returns the sentence the caller is told."""
    caller, answerer = (client, engine) if where == "grpc" else (engine, client)
    Relay(where, _side(*caller, client_side=False), _side(*answerer, client_side=True), record).run()


def _side(sock: socket.socket, reader: io.BufferedReader, *, client_side: bool) -> Side:
    config = h2.config.H2Configuration(client_side=client_side, header_encoding=None)
    conn = h2.connection.H2Connection(config=config)
    conn.local_settings = h2.settings.Settings(client=client_side, initial_values=_SETTINGS)
    conn.initiate_connection()
    conn.increment_flow_control_window(HIGH_WATER)
    return Side(sock, reader, conn)


class Relay:
    """The calls of one connection pair; one thread reads each side, one writes each side."""

    def __init__(self, where: str, front: Side, back: Side, record: Callable[[str, str], str]) -> None:
        self.where, self.front, self.back, self.record = where, front, back, record
        self.calls: dict[int, Call] = {}  # by the front stream
        self.by_back: dict[int, Call] = {}
        self.lock = threading.Lock()
        self.over = threading.Event()

    def run(self) -> None:
        threads = [
            threading.Thread(target=target, args=(side,), daemon=True, name=f"guard-h2-{self.where}")
            for side in (self.front, self.back)
            for target in (self._read, self._write)
        ]
        with self.lock:
            self._queue_output()
        for thread in threads:
            thread.start()
        self.over.wait()
        for side in (self.front, self.back):
            side.out.put(None)
        for thread in threads:
            thread.join(timeout=5)
        for side in (self.front, self.back):
            with contextlib.suppress(OSError):
                side.sock.shutdown(socket.SHUT_RDWR)

    def _read(self, side: Side) -> None:
        try:
            while not self.over.is_set() and (data := side.reader.read1(READ_SIZE)):
                with self.lock:
                    self._feed(side, data)
        except (OSError, ValueError, Closed):
            pass
        finally:
            self._stop()

    def _write(self, side: Side) -> None:
        try:
            while (data := side.out.get()) is not None:
                side.sock.sendall(data)
        except OSError:
            self._stop()
        finally:
            with contextlib.suppress(OSError):
                side.sock.shutdown(socket.SHUT_RDWR)  # wakes this side's reader

    def _stop(self) -> None:
        """End both connections (GOAWAY, what is queued goes out first), once."""
        with self.lock:
            if self.over.is_set():
                return
            for side in (self.front, self.back):
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    side.conn.close_connection()
            self._queue_output()
            self.over.set()

    def _feed(self, side: Side, data: bytes) -> None:
        try:
            events = side.conn.receive_data(data)
            for event in events:
                self._event(side, event)
            self._flush()
        except h2.exceptions.ProtocolError as error:
            code = getattr(error, "error_code", None) or h2.errors.ErrorCodes.PROTOCOL_ERROR
            side.conn.close_connection(error_code=code)
            self._queue_output()
            raise Closed(str(error)) from error
        self._queue_output()

    def _queue_output(self) -> None:
        for side in (self.front, self.back):
            if data := side.conn.data_to_send():
                side.out.put(data)

    def _event(self, side: Side, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self._count_control(side, "SETTINGS")
        elif isinstance(event, h2.events.PingReceived):
            self._count_control(side, "PING")
        elif isinstance(event, h2.events.ConnectionTerminated):
            raise Closed("a side ended the connection")
        elif side is self.front:
            self._front_event(event)
        else:
            self._back_event(event)

    def _count_control(self, side: Side, kind: str) -> None:
        now = time.monotonic()
        if now - side.window >= 1:
            side.window, side.control = now, {}
        side.control[kind] = side.control.get(kind, 0) + 1
        if side.control[kind] > MAX_CONTROL_PER_S[kind]:
            raise h2.exceptions.ProtocolError(f"a flood of {kind} frames")

    def _front_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived) and event.stream_id is not None:
            self._open(event.stream_id, event.headers or [])
        elif isinstance(event, h2.events.DataReceived) and event.stream_id is not None:
            call = self.calls.get(event.stream_id)
            self._data(self.front, call.up if call else None, event)
            if call:
                self._take_requests(call)
        elif isinstance(event, h2.events.StreamEnded) and event.stream_id in self.calls:
            call = self.calls[event.stream_id]
            call.up.ended = True
            self._take_requests(call)
        elif isinstance(event, h2.events.StreamReset) and event.stream_id in self.calls:
            call = self.calls.pop(event.stream_id)
            if call.up.sink is not None:
                self.by_back.pop(call.up.sink, None)
                self.back.conn.reset_stream(call.up.sink, h2.errors.ErrorCodes.CANCEL)
        elif isinstance(event, h2.events.TrailersReceived) and event.stream_id in self.calls:
            self._refuse(self.calls[event.stream_id], "Refused: a gRPC request with trailers.")

    def _back_event(self, event: h2.events.Event) -> None:
        call = self.by_back.get(getattr(event, "stream_id", None) or 0)
        if isinstance(event, h2.events.DataReceived):
            self._data(self.back, call.down if call else None, event)
            if call:
                self._take_answers(call)
        elif call is None:
            return
        elif isinstance(event, h2.events.ResponseReceived) and not call.answered:
            call.answered = True
            ended = event.stream_ended is not None  # a trailers-only answer (an error) ends the call
            answer = kept(event.headers or [], ANSWER_HEADERS)
            self.front.conn.send_headers(call.up.source, answer, end_stream=ended)
            if ended:
                self._forget(call)
        elif isinstance(event, h2.events.TrailersReceived):
            call.down.trailers = kept(event.headers or [], ANSWER_HEADERS)
        elif isinstance(event, h2.events.StreamEnded):
            call.down.ended = True
            self._take_answers(call)
        elif isinstance(event, h2.events.StreamReset) and not call.down.ended:
            self._forget(call)  # (a reset after the answer ended, as grpc-go sends, changes nothing)
            self.front.conn.reset_stream(call.up.source, h2.errors.ErrorCodes.CANCEL)

    def _data(self, side: Side, flow: Flow | None, event: h2.events.DataReceived) -> None:
        """Take a DATA frame's bytes (or, for a call already over, only acknowledge them)."""
        size, stream = event.flow_controlled_length or 0, event.stream_id or 0
        if flow is None:
            side.conn.acknowledge_received_data(size, stream)
            return
        flow.partial += event.data or b""
        flow.owed += size
        if self._held() > MAX_HELD:  # 128 streams of 16 MB messages cut short would hold 2 GB
            raise h2.exceptions.ProtocolError(f"more than {MAX_HELD >> 20} MB held at once")

    def _held(self) -> int:
        flows = [flow for call in self.calls.values() for flow in (call.up, call.down)]
        return sum(len(flow.partial) + len(flow.pending) for flow in flows)

    def _open(self, stream: int, headers: Headers) -> None:
        """A new call from the front: its method judged, its stream opened on the back (an inspected
        method's only once its request is read and allowed)."""
        method = dict(headers).get(b":path", b"").decode("latin-1")
        call = Call(method, headers, Flow(stream))
        self.calls[stream] = call
        found = buildkit.method_refusal(self.where, method) or headers_refusal(headers)
        if found:
            self._refuse(call, found)
        elif method not in buildkit.INSPECTED:
            self._open_back(call)

    def _open_back(self, call: Call) -> None:
        sink = self.back.conn.get_next_available_stream_id()
        call.up.sink, call.down.source = sink, sink
        call.down.sink = call.up.source
        self.by_back[sink] = call
        self.back.conn.send_headers(sink, request_headers(self.where, call.method, call.headers))

    def _take_requests(self, call: Call) -> None:
        """Cut what came from the front into messages; judge an inspected method's one request."""
        try:
            payloads = messages(call.up)
        except ValueError as error:
            self._refuse(call, f"Refused: {error}.")
            return
        inspected = call.method in buildkit.INSPECTED
        for payload in payloads:
            call.up.messages += 1
            if inspected:
                found = _inspect(call, payload)
                if found:
                    self._refuse(call, found)
                    return
                payload = buildkit.builtin_frontend(call.method, payload)
                self._open_back(call)
            call.up.pending += frame(payload)
        if inspected and call.up.ended and call.up.messages != 1:
            self._refuse(call, "Refused: a BuildKit solve without its request.")

    def _take_answers(self, call: Call) -> None:
        try:
            for payload in messages(call.down):
                call.down.pending += frame(payload)
        except ValueError as error:
            self._answer_refusal(call, f"Refused: the answer to `{call.method}`: {error}.")

    def _refuse(self, call: Call, message: str) -> None:
        """End a call with the refusal: PermissionDenied to the front, the back stream cancelled."""
        said = self.record(call.method or "(no method)", message)
        self._forget(call)
        if call.up.sink is not None:
            self.back.conn.reset_stream(call.up.sink, h2.errors.ErrorCodes.CANCEL)
        self._grpc_error(call, PERMISSION_DENIED, said)

    def _answer_refusal(self, call: Call, message: str) -> None:
        said = self.record(call.method, message)
        self._forget(call)
        self.back.conn.reset_stream(call.down.source, h2.errors.ErrorCodes.CANCEL)
        self._grpc_error(call, INTERNAL, said)

    def _grpc_error(self, call: Call, code: str, message: str) -> None:
        status: Headers = [(b"grpc-status", code.encode()), (b"grpc-message", percent(message))]
        head = [] if call.answered else [(b":status", b"200"), (b"content-type", b"application/grpc")]
        self.front.conn.send_headers(call.up.source, head + status, end_stream=True)

    def _forget(self, call: Call) -> None:
        """Drop a call that is over, reopening the windows its unsent bytes held."""
        self.calls.pop(call.up.source, None)
        if call.up.sink is not None:
            self.by_back.pop(call.up.sink, None)
        for flow, side in ((call.up, self.front), (call.down, self.back)):
            if flow.owed and flow.source:
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    side.conn.acknowledge_received_data(flow.owed, flow.source)
            flow.owed = 0

    def _flush(self) -> None:
        """Send what each call holds, as far as the windows allow; reopen the senders' windows."""
        for call in list(self.calls.values()):
            if call.up.sink is not None:
                self._flush_flow(call.up, self.back)
            if call.down.sink is not None and call.answered:
                self._flush_flow(call.down, self.front)
            for flow, side in ((call.up, self.front), (call.down, self.back)):
                if flow.owed and flow.source and len(flow.pending) < HIGH_WATER:
                    side.conn.acknowledge_received_data(flow.owed, flow.source)
                    flow.owed = 0
            if call.down.finished:
                self._forget(call)

    def _flush_flow(self, flow: Flow, sink: Side) -> None:
        assert flow.sink is not None
        try:
            while flow.pending:
                size = min(len(flow.pending), sink.conn.local_flow_control_window(flow.sink))
                size = min(size, sink.conn.max_outbound_frame_size)
                if size <= 0:
                    break
                sink.conn.send_data(flow.sink, bytes(flow.pending[:size]))
                del flow.pending[:size]
            if flow.ended and not flow.pending and not flow.partial and not flow.finished:
                flow.finished = True
                if flow.trailers is not None:
                    sink.conn.send_headers(flow.sink, flow.trailers, end_stream=True)
                else:
                    sink.conn.end_stream(flow.sink)
        except h2.exceptions.StreamClosedError:  # the other side reset it meanwhile
            flow.pending.clear()
            flow.finished = True


def _inspect(call: Call, payload: bytes) -> str | None:
    if call.up.messages > 1:
        return "Refused: a BuildKit solve with more than one request."
    if len(payload) > MAX_INSPECTED:
        return f"Refused: a BuildKit solve request larger than {MAX_INSPECTED} bytes."
    return buildkit.message_refusal(call.method, payload)
