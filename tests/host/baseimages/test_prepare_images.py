"""baseimages.prepare: present, else pulled, else built, with what an image is built from."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field

import docker
import docker.errors
import pytest

from grader.host import baseimages, labels, system
from grader.host.baseimages import Recipe, recipe


@dataclass
class FakeImage:
    labels: dict[str, str]
    attrs: dict[str, object] = field(default_factory=dict)


class FakeImages:
    """client.images of an engine holding `present`, whose registry has `pullable`."""

    def __init__(self, present: set[str], pullable: set[str]) -> None:
        self.present = present
        self.pullable = pullable
        self.pulled: list[str] = []

    def get(self, name: str) -> FakeImage:
        if name not in self.present:
            raise docker.errors.ImageNotFound(name)
        return FakeImage({labels.BUILT_LOCALLY: "true", labels.RECIPE: f"recipe of {name}"})

    def pull(self, name: str) -> None:
        self.pulled.append(name)
        if name not in self.pullable:
            raise docker.errors.APIError("registry unreachable")
        self.present.add(name)


class FakeClient:
    def __init__(self, present: Collection[str] = (), pullable: Collection[str] = ()) -> None:
        self.images = FakeImages(set(present), set(pullable))


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the fake recipes did: 'build X' and 'packages ...', in order."""
    done: list[str] = []

    def recipe_for(name: str, *needs: str, pullable: bool = True) -> Recipe:
        def build(client: FakeClient, tag: str = name) -> None:
            done.append(f"build {tag}")
            client.images.present.add(tag)

        return Recipe(name, (f"pkg-{name}",), build, needs=needs, pullable=pullable)

    recipes = (
        recipe_for("base"),
        recipe_for("app", "base"),
        recipe_for("tool", "base", pullable=False),
    )
    monkeypatch.setattr(baseimages, "recipes", lambda: recipes)
    monkeypatch.setattr(system, "ensure_packages", lambda *names: done.append(f"packages {names}"))
    return done


def test_present_images_are_left_alone(log: list[str]) -> None:
    outcomes = baseimages.prepare(FakeClient({"base", "app", "tool"}))
    assert [(o.name, o.how) for o in outcomes] == [
        ("base", "present"),
        ("app", "present"),
        ("tool", "present"),
    ]
    assert outcomes[0].detail == "built locally: recipe of base"
    assert log == []


def test_a_pullable_image_is_pulled(log: list[str]) -> None:
    client = FakeClient(pullable={"app"})
    outcomes = baseimages.prepare(client, ["app"])
    assert [(o.name, o.how) for o in outcomes] == [("app", "pulled")]
    assert log == []


def test_what_cannot_be_pulled_is_built_after_what_it_needs(log: list[str]) -> None:
    client = FakeClient()
    steps: list[tuple[str, str]] = []
    outcomes = baseimages.prepare(client, ["app"], on_step=lambda *step: steps.append(step))
    assert [(o.name, o.how) for o in outcomes] == [("base", "built"), ("app", "built")]
    assert "pull failed: registry unreachable" in outcomes[1].detail
    assert log == ["packages ('pkg-base',)", "build base", "packages ('pkg-app',)", "build app"]
    assert steps == [
        ("app", "pulling"),
        ("base", "pulling"),
        ("base", "building locally"),
        ("app", "building locally"),
    ]


def test_images_no_registry_has_are_never_pulled(log: list[str]) -> None:
    client = FakeClient({"base"})
    baseimages.prepare(client, ["tool"])
    assert client.images.pulled == []
    assert log == ["packages ('pkg-tool',)", "build tool"]


def test_pull_false_builds_without_asking_a_registry(log: list[str]) -> None:
    client = FakeClient({"base"}, pullable={"app"})
    outcomes = baseimages.prepare(client, ["app"], pull=False)
    assert client.images.pulled == []
    assert [(o.name, o.how) for o in outcomes] == [("base", "present"), ("app", "built")]


def test_a_failed_build_says_which_image_and_keeps_what_was_done(
    log: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*names: str) -> None:
        raise system.MissingPackages("Install them: sudo apt-get install pkg-app")

    monkeypatch.setattr(system, "ensure_packages", refuse)
    with pytest.raises(baseimages.PrepareFailed, match="Could not build app") as error:
        baseimages.prepare(FakeClient({"base"}), ["base", "app"], pull=False)
    assert "sudo apt-get install pkg-app" in str(error.value)
    assert [(o.name, o.how) for o in error.value.outcomes] == [("base", "present")]


def test_unknown_names_list_the_known_ones(log: list[str]) -> None:
    with pytest.raises(baseimages.UnknownImage, match="Base images: base, app, tool"):
        baseimages.prepare(FakeClient(), ["nope"])


def test_a_registry_that_never_answers_cannot_hang_a_pull() -> None:
    release = threading.Event()

    class Hanging:
        class images:  # mimics client.images
            @staticmethod
            def pull(name: str) -> None:
                release.wait(30)

    try:
        reason = baseimages.pull(Hanging(), "busybox:latest", timeout_s=0.2)
    finally:
        release.set()
    assert reason == "no answer from the registry within 0 s"


def test_recipes_are_in_dependency_order() -> None:
    names = [r.name for r in baseimages.recipes()]
    for position, image in enumerate(baseimages.recipes()):
        assert all(names.index(need) < position for need in image.needs)
    assert recipe.BUILD_TIMEOUT_S > 0


@pytest.mark.docker
def test_a_second_run_finds_everything_present(host_engine: docker.DockerClient) -> None:
    baseimages.prepare(host_engine, pull=False)
    outcomes = baseimages.prepare(host_engine, pull=False)
    assert [(o.name, o.how) for o in outcomes] == [(r.name, "present") for r in baseimages.recipes()]
    assert all(o.detail.startswith("built locally: ") for o in outcomes)
