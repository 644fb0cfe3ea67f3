"""Which image a registry's manifest is, on the classic and the containerd image stores."""

from __future__ import annotations

import hashlib
import json

from grader.checks.toolkit import Reply
from grader.course.assertions import names_image


def _manifest(config: str) -> Reply:
    return Reply(200, "OK", json.dumps({"schemaVersion": 2, "config": {"digest": config}}).encode())


def test_a_manifest_names_its_image_on_either_image_store() -> None:
    """Classic store: the image ID is the manifest's config digest. containerd store: it is the
    digest of the manifest (or index) itself, which a registry serves byte for byte."""
    manifest = _manifest("sha256:" + "c" * 64)
    own_digest = "sha256:" + hashlib.sha256(manifest.body).hexdigest()
    assert names_image(manifest, "sha256:" + "c" * 64)
    assert names_image(manifest, own_digest)
    assert not names_image(manifest, "sha256:" + "d" * 64)
