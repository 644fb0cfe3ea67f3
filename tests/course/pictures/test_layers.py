"""The layers picture: instructions cleaned, sizes in words, one bar per layer of a real image."""

from __future__ import annotations

import io
import tarfile

import docker
import pytest

from grader.course.pictures import layers
from grader.course.pictures.layers import human_size, instruction
from grader.sandbox.sandbox import Sandbox
from tests.course.pictures.conftest import Made, classed, texts

BLOB = 5000
HOSTILE = "</svg><script>alert(1)</script>"


@pytest.mark.parametrize(
    ("size", "words"),
    [(0, "0 B"), (3, "3 B"), (999, "999 B"), (5000, "5 kB"), (3216, "3.22 kB"), (1982256, "1.98 MB"),
     (999_600, "1 MB"), (74_800_000, "74.8 MB"), (2_500_000_000, "2.5 GB")],
)  # fmt: skip
def test_human_size_reads_like_docker_history(size: int, words: str) -> None:
    assert human_size(size) == words


@pytest.mark.parametrize(
    ("created_by", "words"),
    [
        ('/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]'),
        (
            "/bin/sh -c apt-get update &&     apt-get install -y vim",
            "RUN apt-get update && apt-get install -y vim",
        ),
        ("RUN /bin/sh -c echo hi > /f # buildkit", "RUN echo hi > /f"),
        ("COPY blob /blob # buildkit", "COPY blob /blob"),
        ("|2 A=1 B=2 /bin/sh -c make", "RUN make"),
        ("RUN |1 A=1 /bin/sh -c make # buildkit", "RUN make"),
        ("/bin/sh -c #(nop) COPY file:" + "ab" * 32 + " in /bin/x ", "COPY file:abababababab… in /bin/x"),
        ("/bin/busybox --install -s /bin", "RUN /bin/busybox --install -s /bin"),
        ("/bin/sh -c #(nop) WORKDIR /app", "WORKDIR /app"),
    ],
)
def test_instruction_is_what_the_dockerfile_said(created_by: str, words: str) -> None:
    assert instruction(created_by) == words


def test_an_imported_layer_shows_its_comment() -> None:
    assert instruction("", "Imported from -") == "Imported from -"


@pytest.fixture
def image(made: Made, tmp_path_factory: pytest.TempPathFactory) -> str:
    """busybox, then a hostile label, `RUN echo hi > /f`, a COPY of a 5000-byte file and a hostile CMD."""
    tag = f"{made.prefix}image:latest"
    dockerfile = "\n".join(
        [
            "FROM busybox:latest",
            f'LABEL test.id="{made.prefix}" test.hostile="{HOSTILE}"',
            "RUN echo hi > /f",
            "COPY blob /blob",
            f'CMD ["echo", "{HOSTILE} & \'quoted\'"]',
        ]
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in [("Dockerfile", dockerfile.encode()), ("blob", b"x" * BLOB)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    made.images.append(tag)
    made.client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)
    return tag


@pytest.mark.docker
def test_one_bar_per_layer_with_its_size(
    client: docker.DockerClient, image: str, store_sandbox: Sandbox
) -> None:
    """Each bar's size is what `docker history` shows: the files' bytes on the classic store, the
    snapshot's disk usage (whole blocks) on the containerd store."""
    history = client.images.get(image).history()
    picture = layers(client, image)
    words = texts(picture.svg)
    base = client.images.get("busybox:latest").history()
    assert len(classed(picture.svg, "layer")) == len(history) == len(base) + 4
    assert classed(picture.svg, "base") == []
    bars = [list(node.itertext()) for node in classed(picture.svg, "layer")]
    assert [bar[1] for bar in bars] == [human_size(entry["Size"]) for entry in reversed(history)]
    assert bars[-1][2].startswith('CMD ["echo"') and HOSTILE in bars[-1][2]
    (run,) = [bar[1] for bar in bars if bar[2] == "RUN echo hi > /f"]
    (copy,) = [bar[1] for bar in bars if bar[2].startswith("COPY ") and bar[2].endswith(" /blob")]
    if store_sandbox.image_store == "classic":
        assert (run, copy, bars[-1][1]) == ("3 B", "5 kB", "0 B")
    else:
        assert (run, copy) == ("4.1 kB", "8.19 kB")
    assert words[0].startswith(
        f"{image}: {len(history)} layers, {human_size(sum(e['Size'] for e in history))}"
    )


@pytest.mark.docker
def test_layers_of_the_base_image_are_marked(client: docker.DockerClient, image: str) -> None:
    picture = layers(client, image, base="busybox:latest")
    assert len(classed(picture.svg, "base")) == len(client.images.get("busybox").history())
    assert "from busybox:latest" in texts(picture.svg)


@pytest.mark.docker
def test_a_missing_base_image_is_said(client: docker.DockerClient, image: str) -> None:
    picture = layers(client, image, base="pictures-test-no-such-image:latest")
    assert classed(picture.svg, "base") == []
    assert "no image pictures-test-no-such-image:latest" in texts(picture.svg)[0]


@pytest.mark.docker
def test_hostile_history_is_escaped(client: docker.DockerClient, image: str) -> None:
    picture = layers(client, image)
    assert "<script>" not in picture.svg and "</svg><" not in picture.svg
    assert any(HOSTILE in words for words in texts(picture.svg))
    assert picture._repr_svg_() == picture.svg
