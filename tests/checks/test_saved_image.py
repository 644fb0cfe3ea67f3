"""Where a value lies in a saved image: `docker save`'s layout read from a stream, each layer's
files, names and links searched, the config and history apart (a fake engine hands out the tar;
the real engines, both stores, are in tests/exercises/variants/dockerfiles.secret)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
from dataclasses import dataclass

from grader.checks.saved_image import forms, search

SECRET = b"tok-3f9a"


def _tar(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def _saved(layers: list[bytes], config: dict[str, object]) -> bytes:
    blobs = {f"blobs/sha256/{n:064x}": layer for n, layer in enumerate(layers)}
    config_name = f"blobs/sha256/{99:064x}"
    manifest = [{"Config": config_name, "Layers": list(blobs)}]
    files = {
        **blobs,
        config_name: json.dumps(config).encode(),
        "manifest.json": json.dumps(manifest).encode(),
    }
    return _tar(files)


@dataclass
class _Api:
    saved: bytes

    def get_image(self, image: str) -> list[bytes]:
        return [self.saved[at : at + 1000] for at in range(0, len(self.saved), 1000)]  # streamed


@dataclass
class _Client:
    api: _Api


HISTORY = [
    {"created_by": "ADD busybox"},
    {"created_by": "ARG API_TOKEN", "empty_layer": True},
    {"created_by": "RUN /bin/sh -c cp /run/secrets/api_token /token # buildkit"},
    {"created_by": "RUN /bin/sh -c rm /token # buildkit"},
]


def test_a_layer_holding_the_value_is_named_with_its_step_and_files_even_compressed() -> None:
    base = _tar({"bin/busybox": b"\0" * 5000})
    leaked = gzip.compress(_tar({"token": b"x" * (1 << 20) + SECRET, "etc/ok": b"fine"}))
    deleted = _tar({".wh.token": b""}, links={"link": "/" + SECRET.decode()})
    saved = _saved([base, leaked, deleted], {"config": {"Env": ["PATH=/bin"]}, "history": HISTORY})
    found = search(_Client(_Api(saved)), "img", SECRET)  # type: ignore[arg-type]
    assert [(layer.number, layer.of, layer.paths) for layer in found.layers] == [
        (2, 3, ("/token",)),
        (3, 3, ("/link",)),
    ]
    assert found.layers[0].step == "RUN cp /run/secrets/api_token /token"
    assert found.config == [] and found.unreadable == []


def test_the_config_and_history_are_searched_and_the_value_never_shown() -> None:
    history = [{"created_by": f"RUN |1 API_TOKEN={SECRET.decode()} /bin/sh -c true"}]
    config = {"config": {"Env": [f"API_TOKEN={SECRET.decode()}"], "Labels": {"a": "b"}}, "history": history}
    found = search(_Client(_Api(_saved([_tar({"f": b"x"})], config))), "img", SECRET)  # type: ignore[arg-type]
    assert found.layers == []
    assert found.config == [
        "the image's `Env` setting",
        "the history of the step `RUN |1 API_TOKEN=<secret> /bin/sh -c true`",
    ]


def test_a_layer_that_cannot_be_read_is_said_not_passed() -> None:
    unreadable = b"\x28\xb5\x2f\xfd" + b"z" * (2 << 20)  # zstd's magic, then nothing tarfile reads
    found = search(_Client(_Api(_saved([unreadable], {"history": []}))), "img", SECRET)  # type: ignore[arg-type]
    assert found.unreadable == ["layer 1 of 1"]


def test_the_value_is_found_in_hex_and_in_base64_at_any_alignment() -> None:
    value = b"k2J_9xQ-vT7mW4pL0aZc8yR3nB6sD1fH"
    for prefix in (b"", b"a", b"ab"):
        encoded = base64.b64encode(prefix + value + b"\n")
        layers = [_tar({"b64": encoded}), _tar({"hex": value.hex().encode()})]
        found = search(_Client(_Api(_saved(layers, {"history": []}))), "img", value)  # type: ignore[arg-type]
        assert [layer.paths for layer in found.layers] == [("/b64",), ("/hex",)], prefix
    assert len(forms(value)) == 6 and len(forms(b"tok-3f9a")) == 3  # short values: no base64 form
