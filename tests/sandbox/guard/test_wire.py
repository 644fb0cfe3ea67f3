"""How the guard reads HTTP/1.1: strictly, and into the one canonical request it forwards."""

from __future__ import annotations

import io

import pytest

from grader.sandbox.guard.body import canonical_json, framing, pieces
from grader.sandbox.guard.request import Request, read_request, upstream_headers
from grader.sandbox.guard.wire import MAX_HEAD, MAX_LINE, BadMessage, CutShort, read_head


def reader(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]


def request(data: bytes) -> Request:
    found = read_request(reader(data))
    assert found is not None
    return found


def refused(data: bytes) -> str:
    with pytest.raises(BadMessage) as error:
        read_request(reader(data))
    return str(error.value)


def get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: docker", *headers]
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1") + b"\r\n"


def body_of(data: bytes) -> bytes:
    stream = reader(data)
    found = read_request(stream)
    assert found is not None
    return b"".join(pieces(stream, found.frame))


def post(headers: str, body: bytes) -> bytes:
    return b"POST /v1.41/build HTTP/1.1\r\nHost: docker\r\n" + headers.encode() + b"\r\n" + body


# The request line and its target


def test_a_plain_request_is_read_as_it_came() -> None:
    found = request(get("/v1.41/containers/json?all=1&filters=%7B%7D"))
    assert (found.method, found.path, found.version) == ("GET", "/v1.41/containers/json", "HTTP/1.1")
    assert found.pairs == (("all", "1"), ("filters", "{}"))
    assert found.query == {"all": ["1"], "filters": ["{}"]}
    assert found.start == "GET /v1.41/containers/json?all=1&filters=%7B%7D HTTP/1.1"


def test_the_end_of_the_connection_is_no_request() -> None:
    assert read_request(reader(b"")) is None
    assert read_request(reader(b"\r\n")) is None


@pytest.mark.parametrize(
    "target",
    [
        "http://docker/v1.41/build?networkmode=host#x",
        "http://docker/v1.41/build?x=#&networkmode=host",
        "HTTP://docker/v1.41/containers/create",
        "unix:///var/run/docker.sock",
    ],
)
def test_absolute_form_targets_are_refused(target: str) -> None:
    assert "absolute-form" in refused(get(target))


@pytest.mark.parametrize("target", ["docker:2375", "v1.41/containers/json", "docker", "%2Fv1.41/info"])
def test_authority_form_and_relative_targets_are_refused(target: str) -> None:
    assert "not starting with `/`" in refused(get(target))


def test_the_asterisk_target_is_refused() -> None:
    assert "`*`" in refused(b"OPTIONS * HTTP/1.1\r\nHost: docker\r\n\r\n".replace(b"OPTIONS", b"GET"))


@pytest.mark.parametrize(
    "target", ["/v1.41/build#x", "/v1.41/build?x=#&networkmode=host", "/v1.41/build?networkmode=host#"]
)
def test_a_fragment_mark_anywhere_is_refused(target: str) -> None:
    assert "`#`" in refused(get(target))


@pytest.mark.parametrize(
    "line",
    [
        b"GET /_ping\r\n",
        b"GET  /_ping HTTP/1.1\r\n",
        b"GET /_ping HTTP/1.1 \r\n",
        b"GET /_ping  HTTP/1.1\r\n",
        b"GET\t/_ping HTTP/1.1\r\n",
        b"GET /_ping HTTP/2.0\r\n",
        b"GET /_ping HTTP/1.01\r\n",
        b"GET /_ping http/1.1\r\n",
        b"GET /_ping HTTP/0.9\r\n",
        b"/_ping HTTP/1.1\r\n",
        b"GET /a b HTTP/1.1\r\n",
    ],
)
def test_malformed_request_lines_are_refused(line: bytes) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(line + b"Host: docker\r\n\r\n"))


@pytest.mark.parametrize("method", ["get", "Post", "PATCH", "OPTIONS", "CONNECT", "TRACE", "PRI", "G\x00T"])
def test_only_the_apis_methods_pass(method: str) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(f"{method} /_ping HTTP/1.1\r\nHost: docker\r\n\r\n".encode()))


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_the_apis_methods_pass(method: str) -> None:
    assert request(f"{method} /_ping HTTP/1.1\r\nHost: docker\r\n\r\n".encode()).method == method


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("/v1.41/%63ontainers/create", "/v1.41/containers/create"),
        ("/v1.41/images/localhost:5000/bb/json", "/v1.41/images/localhost:5000/bb/json"),
        ("/v1.41/images/localhost%3A5000%2Fbb/json", "/v1.41/images/localhost:5000/bb/json"),
        ("/v1.41/images/sha256:abc/json", "/v1.41/images/sha256:abc/json"),
        ("/v1.41/containers/a_b.c-d/json", "/v1.41/containers/a_b.c-d/json"),
        ("/", "/"),
        ("/_ping", "/_ping"),
    ],
)
def test_a_path_is_percent_decoded_into_what_the_engine_reads_back(target: str, path: str) -> None:
    assert request(get(target)).path == path
    assert request(get(target)).start == f"GET {path} HTTP/1.1"


@pytest.mark.parametrize(
    "target",
    [
        "/v1.41/containers/../build",
        "/v1.41/containers/%2e%2e/build",
        "/v1.41/containers/%2E%2E/build",
        "/v1.41/containers/%2e%2E%2fbuild",
        "/v1.41/containers/x%2F..%2Fbuild",
        "/v1.41/./build",
        "/v1.41/%2e/build",
        "/v1.41//build",
        "/v1.41/%2Fbuild",
        "/v1.41/build/",
        "/..",
    ],
)
def test_dot_and_empty_segments_are_refused_however_spelled(target: str) -> None:
    assert "segment" in refused(get(target))


@pytest.mark.parametrize(
    "target",
    [
        "/v1.41/containers/%252e%252e/build",  # double encoding leaves a %
        "/v1.41/containers/%00/json",
        "/v1.41/containers/a%0d%0aHost:x/json",
        "/v1.41/containers/%C3%A9/json",  # valid UTF-8, but not in the path's set
        "/v1.41/containers/a%20b/json",
        "/v1.41/containers/a%3Bb/json",
        "/v1.41/containers/a%23b/json",
        "/v1.41/containers/a%3Fb/json",
        "/v1.41/containers/a%5Cb/json",
    ],
)
def test_escapes_that_decode_outside_the_paths_set_are_refused(target: str) -> None:
    assert "decodes to characters" in refused(get(target))


def test_an_overlong_utf8_dot_in_a_path_is_refused() -> None:
    assert "UTF-8" in refused(get("/v1.41/containers/%c0%ae%c0%ae/json"))


@pytest.mark.parametrize(
    "target",
    [
        "/v1.41/containers;x/json",
        "/v1.41/containers/a b/json",
        "/v1.41/containers/é/json",
        "/v1.41/containers/a\\b/json",
        "/v1.41/containers/a=b/json",
        '/v1.41/containers/"a"/json',
    ],
)
def test_raw_characters_outside_the_paths_set_are_refused(target: str) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(get(target).replace(b"\xc3\xa9", b"\xe9")))


@pytest.mark.parametrize("target", ["/v1.41/a%2", "/v1.41/a%zz", "/v1.41/a%", "/v1.41/a%%41"])
def test_invalid_escapes_in_a_path_are_refused(target: str) -> None:
    assert "%-escape" in refused(get(target))


def test_control_characters_and_bytes_beyond_ascii_in_the_line_are_refused() -> None:
    for byte in (b"\x00", b"\x01", b"\x7f", b"\x0b", b"\x0c"):
        with pytest.raises(BadMessage):
            read_request(reader(b"GET /_ping" + byte + b" HTTP/1.1\r\nHost: docker\r\n\r\n"))
    with pytest.raises(BadMessage):
        read_request(reader(b"GET /_p\xe9ng HTTP/1.1\r\nHost: docker\r\n\r\n"))


# The query


@pytest.mark.parametrize(
    ("query", "pairs", "forwarded"),
    [
        ("a=1&b=2", (("a", "1"), ("b", "2")), "a=1&b=2"),
        ("b=2&a=1&b=3", (("b", "2"), ("a", "1"), ("b", "3")), "b=2&a=1&b=3"),
        ("a+b=c+d", (("a b", "c d"),), "a+b=c+d"),
        ("a%2Bb=%2b", (("a+b", "+"),), "a%2Bb=%2B"),
        ("flag", (("flag", ""),), "flag="),
        ("=x", (("", "x"),), "=x"),
        ("a=1&&b=2&", (("a", "1"), ("b", "2")), "a=1&b=2"),
        ("a=b=c", (("a", "b=c"),), "a=b%3Dc"),
        ("path=%2Fetc%2F", (("path", "/etc/"),), "path=%2Fetc%2F"),
        ("path=/etc/", (("path", "/etc/"),), "path=%2Fetc%2F"),
        ("q=a?b", (("q", "a?b"),), "q=a%3Fb"),
        ("m=%C3%A9%0A%00", (("m", "é\n\0"),), "m=%C3%A9%0A%00"),
        ("networkmode=%68ost", (("networkmode", "host"),), "networkmode=host"),
    ],
)
def test_a_query_is_decoded_as_go_decodes_it_and_re_encoded_in_order(
    query: str, pairs: tuple[tuple[str, str], ...], forwarded: str
) -> None:
    found = request(get(f"/v1.41/build?{query}"))
    assert found.pairs == pairs
    assert found.target == f"/v1.41/build?{forwarded}"


def test_an_empty_query_is_dropped() -> None:
    assert request(get("/v1.41/build?")).target == "/v1.41/build"


@pytest.mark.parametrize("query", ["a=1;networkmode=host", "networkmode=host;", ";"])
def test_a_semicolon_in_the_query_is_refused(query: str) -> None:
    assert "`;`" in refused(get(f"/v1.41/build?{query}"))


@pytest.mark.parametrize("query", ["a=%", "a=%4", "a=%GG", "%zz=1", "a=%%32%30"])
def test_invalid_escapes_in_a_query_are_refused(query: str) -> None:
    assert "%-escape" in refused(get(f"/v1.41/build?{query}"))


@pytest.mark.parametrize("query", ["a=%ff", "a=%c0%ae", "a=%ed%a0%80", "a=%80"])
def test_a_query_that_is_not_utf8_is_refused(query: str) -> None:
    assert "UTF-8" in refused(get(f"/v1.41/build?{query}"))


@pytest.mark.parametrize("query", ['a="x"', "a={}", "a=[1]", "a=<b>", "a=|", "a=`", "a=^", "a=\\"])
def test_raw_characters_a_query_does_not_hold_are_refused(query: str) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(get(f"/v1.41/build?{query}")))


# Heads


def test_a_bare_lf_is_refused_in_the_request_line_and_in_headers() -> None:
    assert "bare LF" in refused(b"GET /_ping HTTP/1.1\nHost: docker\r\n\r\n")
    assert "bare LF" in refused(b"GET /_ping HTTP/1.1\r\nHost: docker\n\r\n")
    assert "bare LF" in refused(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\n")


def test_a_lone_cr_or_a_nul_in_a_header_is_refused() -> None:
    assert "control character" in refused(get("/_ping", "User-Agent: a\rb"))
    assert "control character" in refused(get("/_ping", "User-Agent: a\0b"))


def test_obsolete_line_folding_is_refused() -> None:
    assert "folding" in refused(get("/_ping", "User-Agent: a", " b"))
    assert "folding" in refused(get("/_ping", "User-Agent: a", "\tb"))


@pytest.mark.parametrize("line", ["Host : docker", "Ho st: x", "Hóst: x", ": x", "Host", "[x]: y"])
def test_header_names_with_odd_characters_are_refused(line: str) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(b"GET /_ping HTTP/1.1\r\n" + line.encode("latin-1") + b"\r\n\r\n"))


def test_header_values_beyond_printable_ascii_are_refused() -> None:
    data = b"POST /v1.41/build HTTP/1.1\r\nHost: docker\r\nContent-Type: appl\xc4\xb0cation/json\r\n\r\n"
    assert "printable ASCII" in refused(data)


def test_an_overlong_line_or_head_is_refused() -> None:
    assert "too long" in refused(get("/_ping", "User-Agent: " + "x" * MAX_LINE))
    many = [f"User-Agent-{n}: " + "x" * 1000 for n in range(MAX_HEAD // 1000 + 1)]
    assert "too large" in refused(get("/_ping", *many))


def test_a_head_cut_short_is_refused() -> None:
    assert "ended inside a head" in refused(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n")
    assert "ended inside a head" in refused(b"GET /_ping HTTP/1.1")


def test_only_allowlisted_headers_are_forwarded_under_their_usual_names() -> None:
    found = request(
        get(
            "/_ping",
            "user-agent: Docker-Client/20.10.24 (linux)",
            "Accept-Encoding: gzip",
            "X-Forwarded-For: 10.0.0.1",
            "Proxy-Connection: keep-alive",
            "x-registry-auth: e30=",
            "TE: trailers",
            "Accept: */*",
        )
    )
    assert found.headers == (
        ("Host", "docker"),
        ("User-Agent", "Docker-Client/20.10.24 (linux)"),
        ("X-Registry-Auth", "e30="),
        ("Accept", "*/*"),
    )
    assert upstream_headers(found, 0)[-2:] == [("Content-Length", "0"), ("Connection", "close")]


def test_a_header_given_twice_is_refused_unless_it_is_a_list() -> None:
    assert "more than once" in refused(get("/_ping", "Content-Type: application/json", "content-type: x"))
    assert "more than once" in refused(get("/_ping", "Host: other"))
    methods = ["X-Docker-Expose-Session-Grpc-Method: /a", "X-Docker-Expose-Session-Grpc-Method: /b"]
    assert len(request(get("/session", *methods)).headers) == 3


@pytest.mark.parametrize("host", ["", "docker", "api.moby.localhost", "localhost:2375"])
def test_the_hosts_the_clients_send_pass(host: str) -> None:
    found = request(f"GET /_ping HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert found.header("Host") == host


@pytest.mark.parametrize("host", ["a b", "a/b", "a@b", "a:b:c", "[::1]"])
def test_odd_hosts_are_refused(host: str) -> None:
    assert "Host" in refused(f"GET /_ping HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())


def test_an_upgrade_is_forwarded_only_with_connection_upgrade() -> None:
    base = "POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: \r\nUpgrade: tcp\r\n"
    upgraded = request((base + "Connection: Upgrade\r\n\r\n").encode())
    assert upgraded.upgrade == "tcp"
    assert upstream_headers(upgraded, 0)[-2:] == [("Connection", "Upgrade"), ("Upgrade", "tcp")]
    assert request((base + "\r\n").encode()).upgrade is None
    assert request((base + "\r\n").encode().replace(b"HTTP/1.1", b"HTTP/1.0")).upgrade is None
    assert "Upgrade" in refused((base + "Upgrade: h2c\r\n\r\n").encode())


# HTTP versions and connections


def test_http_1_1_keeps_the_connection_unless_told_to_close() -> None:
    assert request(get("/_ping")).keep_alive
    assert not request(get("/_ping", "Connection: close")).keep_alive
    assert not request(get("/_ping", "Connection: keep-alive, Close")).keep_alive


def test_http_1_0_closes_unless_told_to_keep_and_forwards_as_1_0() -> None:
    found = request(b"GET /_ping HTTP/1.0\r\n\r\n")
    assert not found.keep_alive and found.start == "GET /_ping HTTP/1.0" and found.header("Host") is None
    assert request(b"GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive


def test_http_1_0_takes_a_length_but_no_chunks() -> None:
    assert body_of(b"POST /v1.41/build HTTP/1.0\r\nContent-Length: 2\r\n\r\nab") == b"ab"
    assert "HTTP/1.0" in refused(b"POST /v1.41/build HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")


def test_expect_100_continue_is_noted_and_not_forwarded() -> None:
    found = request(get("/_ping", "Expect: 100-continue"))
    assert found.expect_continue and "Expect" not in dict(found.headers)
    assert not request(b"GET /_ping HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue


# Framing


def test_a_body_by_length() -> None:
    assert body_of(post("Content-Length: 5\r\n", b"hello")) == b"hello"
    assert body_of(post("Content-Length: 005\r\n", b"hello")) == b"hello"
    assert body_of(post("Content-Length:  5 \r\n", b"hello")) == b"hello"
    assert request(get("/_ping")).frame == 0


@pytest.mark.parametrize(
    "length", ["+5", "-5", "5 5", "0x5", "5.0", "1e1", "", "²", "١", "9" * 19, "5,5", " +5", "0 x"]
)
def test_malformed_lengths_are_refused(length: str) -> None:
    with pytest.raises(BadMessage):
        read_request(reader(post(f"Content-Length: {length}\r\n", b"hello").replace("²".encode(), b"\xb2")))


def test_several_lengths_are_refused_even_when_equal() -> None:
    assert "more than once" in refused(post("Content-Length: 5\r\nContent-Length: 5\r\n", b"hello"))
    assert "more than once" in refused(post("Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!"))


def test_a_length_and_chunks_together_are_refused() -> None:
    assert "both" in refused(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"))
    assert "both" in refused(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n"))


@pytest.mark.parametrize(
    "coding",
    [
        "chunked, identity",
        "identity, chunked",
        "gzip, chunked",
        "xchunked",
        "chunkedx",
        "chunked;q=1",
        "identity",
        "",
        '"chunked"',
    ],
)
def test_codings_other_than_one_chunked_are_refused(coding: str) -> None:
    assert "Transfer-Encoding" in refused(post(f"Transfer-Encoding: {coding}\r\n", b"0\r\n\r\n"))


def test_two_transfer_encoding_headers_are_refused() -> None:
    headers = "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
    assert "Transfer-Encoding" in refused(post(headers, b"0\r\n\r\n"))


@pytest.mark.parametrize("coding", ["chunked", "Chunked", "CHUNKED", " chunked "])
def test_chunked_in_any_case(coding: str) -> None:
    assert body_of(post(f"Transfer-Encoding:{coding}\r\n", b"5\r\nhello\r\n0\r\n\r\n")) == b"hello"


def test_chunks_with_extensions_and_trailers() -> None:
    chunks = b"5;name=value\r\nhello\r\n6 ; x\r\n world\r\nA\r\n0123456789\r\n"
    chunks += b"0;end\r\nTrailer-A: 1\r\nB: 2\r\n\r\n"
    assert body_of(post("Transfer-Encoding: chunked\r\n", chunks)) == b"hello world0123456789"


@pytest.mark.parametrize(
    "chunks",
    [
        b"+5\r\nhello\r\n0\r\n\r\n",
        b"-5\r\nhello\r\n0\r\n\r\n",
        b" 5\r\nhello\r\n0\r\n\r\n",
        b"0x5\r\nhello\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",
        b"\r\nhello\r\n0\r\n\r\n",
        b"g\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello!\r\n0\r\n\r\n",
        b"5\r\nhello\n0\r\n\r\n",
        b"5\r\nhello",
        b"5\r\nhel",
        b"1" * 16 + b"\r\nhello\r\n0\r\n\r\n",
        b"5;\x00\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello\r\n0\r\nX: 1\n\r\n",
        b"5\r\nhello\r\n0\r\n folded\r\n\r\n",
        b"5\r\nhello\r\n0\r\n",
    ],
)
def test_malformed_chunks_are_refused(chunks: bytes) -> None:
    with pytest.raises(BadMessage):
        body_of(post("Transfer-Encoding: chunked\r\n", chunks))


def test_too_many_trailers_are_refused() -> None:
    trailers = b"".join(b"T%d: %s\r\n" % (n, b"x" * 1000) for n in range(MAX_HEAD // 1000 + 1))
    with pytest.raises(BadMessage, match="trailers"):
        body_of(post("Transfer-Encoding: chunked\r\n", b"0\r\n" + trailers + b"\r\n"))


def test_a_body_cut_short_is_refused() -> None:
    with pytest.raises(BadMessage, match="inside a body"):
        body_of(post("Content-Length: 10\r\n", b"hello"))


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ("Content-Length: 10\r\n", b"hello"),
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhel"),
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhello"),
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n"),
    ],
)
def test_a_message_cut_short_is_told_apart_from_a_malformed_one(headers: str, body: bytes) -> None:
    """The client left (a script stopped at its time limit): nothing to tell the student."""
    with pytest.raises(CutShort):
        body_of(post(headers, body))
    with pytest.raises(CutShort):
        read_request(reader(b"GET /_ping HTTP/1.1\r\nHost: do"))


@pytest.mark.parametrize("chunks", [b"zz\r\nhello\r\n0\r\n\r\n", b"2\r\nhello\r\n0\r\n\r\n"])
def test_malformed_chunks_are_not_a_message_cut_short(chunks: bytes) -> None:
    with pytest.raises(BadMessage) as error:
        body_of(post("Transfer-Encoding: chunked\r\n", chunks))
    assert not isinstance(error.value, CutShort)


def test_a_request_refused_keeps_its_request_line_for_the_refusal() -> None:
    line = "GET /v1.41/containers/json?a=1;b=2 HTTP/1.1"
    with pytest.raises(BadMessage) as error:
        read_request(reader(f"{line}\r\nHost: docker\r\n\r\n".encode()))
    assert error.value.start == line
    with pytest.raises(BadMessage) as error:
        read_request(reader(b"GET /_ping HTTP/1.1\nHost: docker\r\n\r\n"))
    assert error.value.start == ""


def test_pipelined_requests_are_read_one_after_the_other() -> None:
    stream = reader(
        post("Content-Length: 5\r\n", b"hello")
        + post("Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n")
        + b"\r\n"  # a stray CRLF between requests is allowed
        + get("/_ping")
    )
    bodies = []
    while (found := read_request(stream)) is not None:
        bodies.append((found.path, b"".join(pieces(stream, found.frame))))
    assert bodies == [("/v1.41/build", b"hello"), ("/v1.41/build", b"abc"), ("/_ping", b"")]


def test_a_smuggled_request_in_a_body_stays_a_body() -> None:
    smuggled = get("/v1.41/containers/json")
    stream = reader(post(f"Content-Length: {len(smuggled)}\r\n", smuggled) + get("/_ping"))
    first = read_request(stream)
    assert first is not None and b"".join(pieces(stream, first.frame)) == smuggled
    second = read_request(stream)
    assert second is not None and second.path == "/_ping"


def test_responses_without_length_end_with_the_connection() -> None:
    head = read_head(reader(b"HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n"))
    assert head is not None and framing(head, request=False) == "close"


# JSON bodies


def test_json_is_re_serialised_compact_and_ascii() -> None:
    body = '{ "Image" : "busybox",\n "Labels": {"é": "\\u00e9", "a/b": "\\/"}, "N": [1, 1.5, -0, 1E2] }'
    assert canonical_json(body.encode()) == (
        b'{"Image":"busybox","Labels":{"\\u00e9":"\\u00e9","a/b":"/"},"N":[1,1.5,0,100.0]}'
    )


def test_an_empty_body_stays_empty() -> None:
    assert canonical_json(b"") == b""


def test_keys_the_same_but_for_case_are_refused_as_go_reads_them_as_one() -> None:
    assert canonical_json(b'{"HostConfig": {"Privileged": false, "privileged": true}}') is None
    assert canonical_json(b'{"SecurityOpt": [], "\\u017fecurityOpt": ["seccomp=unconfined"]}') is None
    assert canonical_json(b'{"a": {"k": 1}, "b": {"k": 2}}') == b'{"a":{"k":1},"b":{"k":2}}'


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"HostConfig": {"Privileged": true}, "HostConfig": {}}',
        b"\xef\xbb\xbf{}",
        b"\xff\xfe{\x00}\x00",
        b'{"a": "\xff"}',
        b'{"a": "\xc0\xae"}',
        b'{"a": "\xed\xa0\x80"}',
        b'{"a": "\\ud800"}',
        b'{"a": "\\udc00\\ud800"}',
        b'{"\\ud800": 1}',
        b"{} {}",
        b'{"a": 1} x',
        b"{}\x00",
        b'{"a": 1 /* comment */}',
        b"// comment\n{}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e400}',
        b'{"a": 1' + b"0" * 5000 + b"}",
        b"[" * 100000 + b"]" * 100000,
        b"{'a': 1}",
        b'{"a": 1,}',
        b'{"a": "\x01"}',
        b"   ",
    ],
)
def test_json_go_would_read_otherwise_is_refused(body: bytes) -> None:
    assert canonical_json(body) is None


def test_valid_surrogate_pairs_survive() -> None:
    assert canonical_json('{"a": "\\ud83d\\ude00😀"}'.encode()) == b'{"a":"\\ud83d\\ude00\\ud83d\\ude00"}'
