"""The guard's HTTP/2 relay and BuildKit policy, with real HTTP/2 frames (`h2`) and real protobuf bytes,
against a fake engine that answers every gRPC call it is let through (no Docker needed)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

from grader.sandbox.guard import Guard, buildkit, grpcframes, h2relay

UPGRADE = (
    b"POST /v1.45/grpc HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
)


def key(number: int, wire: int) -> bytes:
    return bytes([number << 3 | wire])


def string(number: int, text: str) -> bytes:
    data = text.encode()
    return key(number, 2) + bytes([len(data)]) + data


def entry(number: int, name: str, value: str) -> bytes:
    pair = string(1, name) + string(2, value)
    return key(number, 2) + bytes([len(pair)]) + pair


def grpc(payload: bytes, compressed: int = 0) -> bytes:
    return bytes([compressed]) + len(payload).to_bytes(4, "big") + payload


class Engine:
    """A fake engine: answers the upgrade with 101, then each call with one message, `ok`."""

    def __init__(self, path: Path) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(4)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(sock,), daemon=True).start()

    def _one(self, sock: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        bodies: dict[int, bytes] = {}
        paths: dict[int, str] = {}
        while data := sock.recv(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    paths[event.stream_id] = dict(event.headers)[b":path"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    stream = event.stream_id
                    self.calls.append((paths[stream], bodies.get(stream, b"")))
                    conn.send_headers(stream, [(":status", "200"), ("content-type", "application/grpc")])
                    conn.send_data(stream, grpc(b"ok"))
                    conn.send_headers(stream, [("grpc-status", "0")], end_stream=True)
            sock.sendall(conn.data_to_send())


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[tuple[Guard, Engine]]:
    engine = Engine(tmp_path / "engine.sock")
    with Guard(tmp_path / "engine.sock") as guard:
        yield guard, engine
    engine.listener.close()


class Client:
    """The docker CLI's side of `/grpc`: the upgrade, then HTTP/2 as an h2 client."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(10)
        self.sock.connect(str(path))
        self.sock.sendall(UPGRADE)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(1)
        assert answer.startswith(b"HTTP/1.1 101"), answer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())

    def call(self, method: str, body: bytes, *, split: int = 0) -> dict[str, str]:
        """Send one call (its body in two DATA frames if `split`); its answer's headers and trailers."""
        stream = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"), (":path", method), (":authority", "x")]
        self.conn.send_headers(stream, [*headers, ("content-type", "application/grpc")])
        parts = [body[:split], body[split:]] if split else [body]
        for index, part in enumerate(parts):
            self.conn.send_data(stream, part, end_stream=index == len(parts) - 1)
        self.sock.sendall(self.conn.data_to_send())
        return self.answer(stream)

    def answer(self, stream: int) -> dict[str, str]:
        found: dict[str, str] = {}
        while True:
            data = self.sock.recv(65536)
            if not data:
                return {**found, "closed": "yes"}
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                    found.update({k.decode(): v.decode() for k, v in event.headers})
                if (
                    isinstance(event, h2.events.StreamEnded | h2.events.StreamReset)
                    and event.stream_id == stream
                ):
                    return found
                if isinstance(event, h2.events.ConnectionTerminated):
                    return {**found, "closed": "yes"}
            self.sock.sendall(self.conn.data_to_send())


ALLOWED_SOLVE = entry(7, "filename", "Dockerfile") + string(5, "session-id") + string(3, "moby")
REFUSED = {
    "network host": (entry(7, "force-network-mode", "host"), "`--network host` on a build"),
    "entitlement network.host": (string(9, "network.host"), "`--allow network.host`"),
    "entitlement security.insecure": (string(9, "security.insecure"), "`--allow security.insecure`"),
    "git context": (entry(7, "context", "https://github.com/x/y.git"), "the build context `https://github"),
    "image context": (entry(7, "context:base", "docker-image://alpine"), "`--build-context base="),
    "push": (key(13, 2) + bytes([20]) + string(1, "moby") + entry(2, "push", "true"), "`--push`"),
    "push, empty": (key(13, 2) + bytes([17]) + string(1, "image") + entry(2, "push", ""), "`--push`"),
    "push, odd": (key(13, 2) + bytes([22]) + string(1, "image") + entry(2, "push", " true"), "`--push`"),
    "frontend": (string(6, "gateway.v0"), "the build frontend `gateway.v0`"),
    "raw llb": (key(2, 2) + b"\x02" + key(1, 2) + b"\x00", "low-level build definition (LLB)"),
    "syntax image": (entry(7, "build-arg:BUILDKIT_SYNTAX", "evil/frontend"), "`BUILDKIT_SYNTAX`"),
    "unknown option": (entry(7, "secret-leak", "1"), "the build option `secret-leak`"),
    "field twice": (string(6, "dockerfile.v0") + string(6, ""), "field 6 given twice"),
    "unknown field": (string(14, "x"), "field 14"),
    "truncated": (b"\x0a\x10ab", "runs past the end"),
}


def test_an_allowed_solve_reaches_the_engine_whole_even_split_across_frames(guard) -> None:
    client = Client(guard[0].socket)
    answer = client.call(buildkit.CONTROL_SOLVE, grpc(ALLOWED_SOLVE), split=3)
    assert answer.get("grpc-status") == "0"
    assert guard[1].calls == [(buildkit.CONTROL_SOLVE, grpc(ALLOWED_SOLVE))]
    assert guard[0].refusals == []


SOLVES = {"control": (buildkit.CONTROL_SOLVE, 6, 7), "bridge": (buildkit.BRIDGE_SOLVE, 2, 3)}


@pytest.mark.parametrize("which", sorted(SOLVES))
def test_a_dockerfile_solve_is_sent_on_for_the_engine_s_own_frontend(guard, which: str) -> None:
    method, frontend, attrs = SOLVES[which]
    solve = string(frontend, "dockerfile.v0") + entry(attrs, "filename", "Dockerfile")
    answer = Client(guard[0].socket).call(method, grpc(solve))
    assert answer.get("grpc-status") == "0"
    sent = solve + entry(attrs, "cmdline", "")  # `# syntax=` lines are not followed with it
    assert guard[1].calls == [(method, grpc(sent))]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_refused_solve_is_denied_naming_what_and_never_sent(guard, case: str) -> None:
    payload, said = REFUSED[case]
    client = Client(guard[0].socket)
    answer = client.call(buildkit.CONTROL_SOLVE, grpc(ALLOWED_SOLVE + payload))
    assert answer["grpc-status"] == "7"
    assert said in answer["grpc-message"].replace("%60", "`").replace("%27", "'")
    assert guard[1].calls == []
    assert said in guard[0].refusals[-1].message
    assert client.call(buildkit.CONTROL + "Info", grpc(b""))["grpc-status"] == "0"  # the connection goes on


def test_a_method_off_the_list_is_denied(guard) -> None:
    answer = Client(guard[0].socket).call("/moby.buildkit.v1.frontend.LLBBridge/NewContainer", grpc(b""))
    assert answer["grpc-status"] == "7"
    assert "LLBBridge/NewContainer" in guard[0].refusals[-1].message
    assert guard[1].calls == []


def test_a_compressed_message_is_denied(guard) -> None:
    answer = Client(guard[0].socket).call(buildkit.CONTROL + "Info", grpc(b"x", compressed=1))
    assert answer["grpc-status"] == "7"
    assert "compressed" in guard[0].refusals[-1].message


def test_an_oversized_message_is_denied_from_its_prefix(guard) -> None:
    answer = Client(guard[0].socket).call(buildkit.CONTROL + "Info", b"\0\x7f\xff\xff\xff")
    assert answer["grpc-status"] == "7"
    assert "more than" in guard[0].refusals[-1].message


def test_a_bad_preface_ends_the_connection(guard) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(str(guard[0].socket))
    sock.sendall(UPGRADE)
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    sock.sendall(b"GET / HTTP/1.1\r\n\r\n" * 3)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    assert guard[1].calls == []


def test_a_ping_flood_ends_the_connection(guard) -> None:
    client = Client(guard[0].socket)
    for number in range(20000):
        client.conn.ping(number.to_bytes(8, "big"))
    try:
        client.sock.sendall(client.conn.data_to_send())
    except (BrokenPipeError, ConnectionResetError):
        return  # closed while the flood was still being sent
    assert client.answer(1).get("closed") == "yes"


def test_a_settings_flood_ends_the_connection(guard) -> None:
    client = Client(guard[0].socket)
    for _ in range(1000):
        client.conn.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 10})
    client.sock.sendall(client.conn.data_to_send())
    assert client.answer(1).get("closed") == "yes"


def test_continuation_abuse_ends_the_connection(guard) -> None:
    client = Client(guard[0].socket)
    headers = b"\x00\x00\x01\x01\x00\x00\x00\x00\x01\x82"  # HEADERS, no END_HEADERS, stream 1
    continuation = b"\x00\x00\x01\x09\x00\x00\x00\x00\x01\x84"
    client.sock.sendall(headers + continuation * 200)
    assert client.answer(1).get("closed") == "yes"
    assert guard[1].calls == []


@pytest.mark.parametrize(
    ("start", "said"),
    [
        (b"POST /grpc HTTP/1.1\r\nHost: x\r\n\r\n", "spoken only as HTTP/2"),
        (b"POST /session?x=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", "no query"),
        (
            b"GET /containers/json HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
            "only on",
        ),
    ],
)
def test_upgrades_elsewhere_or_otherwise_are_refused(guard, start: bytes, said: str) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(str(guard[0].socket))
    sock.sendall(start)
    assert sock.recv(4096).startswith(b"HTTP/1.1 403")
    assert said in guard[0].refusals[-1].message


def test_a_session_offers_the_engine_only_allowed_callbacks() -> None:
    from grader.sandbox.guard.request import Request

    headers = tuple(
        ("X-Docker-Expose-Session-Grpc-Method", name)
        for name in ("/moby.filesync.v1.FileSync/DiffCopy", "/moby.sshforward.v1.SSH/ForwardAgent")
    )
    request = Request("POST", "/session", (), "HTTP/1.1", headers, 0, True, "h2c", False)
    assert [value for _, value in buildkit.forwarded(request).headers] == [
        "/moby.filesync.v1.FileSync/DiffCopy"
    ]


def test_an_allowed_streaming_call_is_relayed(guard) -> None:
    assert Client(guard[0].socket).call(buildkit.CONTROL + "Info", grpc(b""))["grpc-status"] == "0"


class Session:
    """`/session` past its upgrade, relayed (`h2relay.relay`): the engine calls, the CLI answers."""

    def __init__(self, answer: bytes) -> None:
        self.engine, engine_end = socket.socketpair()
        self.cli, cli_end = socket.socketpair()
        for sock in (self.engine, self.cli):
            sock.settimeout(10)
        self.refusals: list[str] = []
        self.asked: list[tuple[str, bytes]] = []
        ends = [(sock, sock.makefile("rb")) for sock in (cli_end, engine_end)]
        threading.Thread(target=h2relay.relay, args=("session", *ends, self._record), daemon=True).start()
        threading.Thread(target=self._answer, args=(answer,), daemon=True).start()
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.engine.sendall(self.conn.data_to_send())

    def _record(self, method: str, message: str) -> str:
        self.refusals.append(message)
        return message

    def _answer(self, answer: bytes) -> None:
        """The CLI's side: an HTTP/2 server answering each call with `answer`."""
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        self.cli.sendall(conn.data_to_send())
        paths: dict[int, str] = {}
        while data := self.cli.recv(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    paths[event.stream_id] = dict(event.headers)[b":path"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    if event.data:
                        self.asked.append((paths[event.stream_id], event.data))
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    conn.send_headers(
                        event.stream_id, [(":status", "200"), ("content-type", "application/grpc")]
                    )
                    conn.send_data(event.stream_id, grpc(answer))
                    conn.send_headers(event.stream_id, [("grpc-status", "0")], end_stream=True)
            self.cli.sendall(conn.data_to_send())

    def call(self, method: str, body: bytes) -> tuple[dict[str, str], bytes]:
        """One call from the engine's side: the answer's headers and trailers, and its body."""
        stream = self.conn.get_next_available_stream_id()
        head = [(":method", "POST"), (":scheme", "http"), (":path", method), (":authority", "x")]
        self.conn.send_headers(stream, [*head, ("content-type", "application/grpc")])
        self.conn.send_data(stream, body, end_stream=True)
        self.engine.sendall(self.conn.data_to_send())
        found: dict[str, str] = {}
        data = b""
        while True:
            for event in self.conn.receive_data(self.engine.recv(65536)):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                    found.update({k.decode(): v.decode() for k, v in event.headers})
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    data += event.data
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                    return found, data
            self.engine.sendall(self.conn.data_to_send())


SECRET_ANSWER = key(1, 2) + bytes([6]) + b"s3cr3t"  # GetSecretResponse{data: "s3cr3t"}


def test_a_secret_mount_asks_the_cli_for_its_secret_through_the_session() -> None:
    session = Session(SECRET_ANSWER)
    request = string(1, "token")  # GetSecretRequest{ID: "token"}
    found, body = session.call("/moby.buildkit.secrets.v1.Secrets/GetSecret", grpc(request))
    assert found["grpc-status"] == "0" and body == grpc(SECRET_ANSWER)
    assert session.asked == [("/moby.buildkit.secrets.v1.Secrets/GetSecret", grpc(request))]
    assert session.refusals == []


@pytest.mark.parametrize("method", ["CheckAgent", "ForwardAgent"])
def test_ssh_forwarding_is_denied_naming_the_option_and_never_reaches_the_cli(method: str) -> None:
    session = Session(b"")
    found, _ = session.call(f"/moby.sshforward.v1.SSH/{method}", grpc(string(1, "default")))
    assert found["grpc-status"] == "7" and "Refused: `--ssh`" in unquote(found["grpc-message"])
    assert session.refusals == [buildkit.SSH_REFUSED] and session.asked == []


def test_a_session_call_keeps_only_the_metadata_buildkit_reads() -> None:
    sent = [
        (b"urlpath", b"/abc"),
        (b"urlhost", b"buildkit-session"),
        (b"x-evil", b"1"),
        (b"dir-name", b"\x01"),
    ]
    kept = grpcframes.request_headers("session", "/moby.upload.v1.Upload/Pull", sent)
    assert [(name, value) for name, value in kept if not name.startswith((b":", b"content", b"te"))] == [
        (b"urlpath", b"/abc"),
        (b"urlhost", b"buildkit-session"),
    ]


def _pump(client: Client, bodies: dict[int, bytes], *, end: bool) -> tuple[int, bool]:
    """Send each stream's body as fast as the guard's windows allow (ending the streams if `end`);
    the bytes sent, and whether the guard ended the connection meanwhile."""
    left, sent = dict(bodies), 0
    while left:
        for stream, body in list(left.items()):
            while (size := min(client.conn.local_flow_control_window(stream), len(body), 16384)) > 0:
                client.conn.send_data(stream, body[:size], end_stream=end and size == len(body))
                body, sent = body[size:], sent + size
            left[stream] = body
            if not body:
                del left[stream]
        try:
            client.sock.sendall(client.conn.data_to_send())
            data = client.sock.recv(65536) if left else b"-"
        except OSError:
            return sent, True
        events = client.conn.receive_data(data) if data != b"-" else []
        if not data or any(isinstance(event, h2.events.ConnectionTerminated) for event in events):
            return sent, True
    return sent, False


def _open_call(client: Client, method: str) -> int:
    stream = client.conn.get_next_available_stream_id()
    headers = [(":method", "POST"), (":scheme", "http"), (":path", method), (":authority", "x")]
    client.conn.send_headers(stream, [*headers, ("content-type", "application/grpc")])
    return stream


def test_a_connection_that_has_the_guard_hold_too_much_is_ended(guard) -> None:
    """Messages cut short on many streams would fill the grader's memory: past MAX_HELD bytes held,
    the connection goes, and the engine never saw any of it."""
    client = Client(guard[0].socket)
    announced = b"\0" + (16 * 1024 * 1024).to_bytes(4, "big")  # a 16 MB message, never finished
    cut_short = announced + bytes(15 * 1024 * 1024)
    sent, ended = _pump(
        client, {_open_call(client, buildkit.CONTROL + "Info"): cut_short for _ in range(3)}, end=False
    )
    assert ended and sent <= h2relay.MAX_HELD + 4 * h2relay.WINDOW
    assert guard[1].calls == []


def test_a_large_message_whole_is_relayed(guard) -> None:
    """A message near the largest, whole, is no flood: it reaches the engine."""
    client = Client(guard[0].socket)
    big = grpc(bytes(12 * 1024 * 1024))
    stream = _open_call(client, buildkit.CONTROL + "Info")
    _, ended = _pump(client, {stream: big}, end=True)
    assert not ended and client.answer(stream).get("grpc-status") == "0"
    assert [len(body) for _, body in guard[1].calls] == [len(big)]


def test_buildxs_history_probe_is_denied_without_a_refusal_in_the_feedback(guard) -> None:
    """buildx 0.21+ asks for the build history after each build, and goes on without it when refused."""
    client = Client(guard[0].socket)
    answer = client.call(
        buildkit.CONTROL + "ListenBuildHistory", grpc(string(2, "probe") + key(3, 0) + b"\1")
    )
    assert answer["grpc-status"] == "7"
    assert "ListenBuildHistory" in unquote(answer["grpc-message"])
    assert guard[0].refusals == [] and guard[1].calls == []
    assert client.call(buildkit.CONTROL + "Info", grpc(b""))["grpc-status"] == "0"  # the connection goes on
