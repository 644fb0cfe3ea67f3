"""Finding a secret's bytes in what `docker save` writes, without an engine: tar streams made here."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from grader.course import assertions
from grader.course.assertions import find_in_saved

SECRET = b"course-token-7d41c2e9"


def _tar(files: dict[str, bytes]) -> bytes:
    """A tar holding `files`, as bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def _saved(**blobs: bytes) -> io.BytesIO:
    """A `docker save` OCI layout whose blobs are `blobs`, beside its index."""
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": b'{"manifests": []}'}
    files.update({f"blobs/sha256/{name}": content for name, content in blobs.items()})
    return io.BytesIO(_tar(files))


def test_a_clean_image_holds_no_secret() -> None:
    layer = _tar({"token.sha256": b"44b617c7d2be146fda7026feb16b5e06\n"})
    assert find_in_saved(_saved(a=layer, b=b'{"history": [{"created_by": "RUN sha256sum"}]}'), SECRET) == ""


def test_a_layer_holding_the_secret_is_found_plain_or_gzipped() -> None:
    layer = _tar({"root/token": SECRET + b"\n"})
    assert find_in_saved(_saved(a=layer), SECRET) == "layer"
    assert find_in_saved(_saved(a=gzip.compress(layer)), SECRET) == "layer"


def test_the_history_holding_the_secret_is_found() -> None:
    config = b'{"history": [{"created_by": "RUN |1 TOKEN=' + SECRET + b' /bin/sh -c make"}]}'
    assert find_in_saved(_saved(a=_tar({"x": b"x"}), b=config), SECRET) == "configuration (history included)"


def test_a_secret_across_two_chunks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assertions, "SCAN_CHUNK", 7)
    for start in range(7):
        layer = _tar({"f": b"." * start + SECRET})
        assert find_in_saved(_saved(a=layer), SECRET) == "layer", start
    assert find_in_saved(_saved(a=_tar({"f": SECRET[:10] + b"-" + SECRET[10:]})), SECRET) == ""


def test_reading_stops_past_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assertions, "SAVED_BYTES", 4096)
    with pytest.raises(AssertionError, match=r"too big to search"):
        find_in_saved(_saved(a=gzip.compress(bytes(100_000))), SECRET)
