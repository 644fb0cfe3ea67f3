"""environment.yml (for conda users) lists what pyproject.toml does."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def _pip_section() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    return {_name(requirement) for requirement in pip if not requirement.startswith("-e")}


def test_environment_lists_exactly_the_package_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _name(req)
        for req in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
        if "python_version" not in req
    }
    listed = _pip_section()
    assert wanted - listed == set(), "missing from environment.yml"
    assert listed - wanted == set(), "in environment.yml but not in pyproject.toml"
