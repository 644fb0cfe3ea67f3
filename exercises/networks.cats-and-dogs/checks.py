"""Checks for networks.cats-and-dogs: three busybox containers on two user-defined networks.

    learning:  catserver, dogserver
    catsonly:  catserver, bobcatserver

The networks and containers are found by name; who reaches whom is tested from each
container's own network namespace, with the grader's busybox `ping` in a lookout beside it
(by name, and by address for what must stay apart): nothing the containers run answers.

Names are looked up only where Docker itself knows the answer. A name Docker's embedded
DNS does not know is forwarded to the resolvers of the engine's machine: out of a grading
sandbox onto the network, and on an offline laptop into a wait of many seconds. So
"bobcatserver cannot find dogserver by name" is read from what decides it: the two share
no user-defined network, and bobcatserver's /etc/hosts (where `--link` and `--add-host`
write names) does not name dogserver.
"""

from __future__ import annotations

from typing import Any

from docker.models.containers import Container

from grader.checks.toolkit import Environment, Problems, check, wait_until

LEARNING, CATSONLY = "learning", "catsonly"
WANTED = {
    "catserver": {LEARNING, CATSONLY},
    "dogserver": {LEARNING},
    "bobcatserver": {CATSONLY},
}
BUILT_IN = {"bridge", "host", "none"}  # Docker's own networks: no names are served on them
PING_WAIT_S = 6.0  # how long a ping that should be answered is retried


def _networks(container: Container) -> dict[str, dict[str, Any]]:
    return container.attrs["NetworkSettings"].get("Networks") or {}


def _listed(names: set[str]) -> str:
    """`learning and catsonly`, in the contract's order first, or `no network`."""
    ordered = [n for n in (LEARNING, CATSONLY) if n in names] + sorted(names - {LEARNING, CATSONLY})
    if not ordered:
        return "no network"
    ordered = ["the default bridge" if n == "bridge" else n for n in ordered]
    return ordered[0] if len(ordered) == 1 else f"{', '.join(ordered[:-1])} and {ordered[-1]}"


def _found_by_name(env: Environment, source: str, target: str) -> tuple[bool, str]:
    """Whether `source` can find `target` by name, and the reason, in words."""
    on_source = set(_networks(env.running(source)))
    on_target = set(_networks(env.running(target)))
    shared = (on_source & on_target) - BUILT_IN
    if shared:
        return True, f"they share the network {_listed(shared)}"
    hosts = env.host(source).file("/etc/hosts").content.decode(errors="replace")
    for line in hosts.splitlines():
        if target in line.split("#")[0].split()[1:]:
            return True, f"the /etc/hosts of {source} names {target} (a link or --add-host)"
    if on_source & on_target & {"bridge"}:
        return False, (
            f"{source} and {target} share only Docker's default network bridge, where "
            "containers do not find each other by name"
        )
    return False, (
        f"{source} (on {_listed(on_source)}) and {target} (on {_listed(on_target)}) share no "
        f"user-defined network, so {source} cannot find {target} by name"
    )


def _ping(env: Environment, source: str, destination: str) -> tuple[bool, str]:
    """Whether one ping from `source` to `destination` is answered, and ping's output."""
    done = env.host(source).net.run("ping -c 1 -W 1 %s", destination)
    output = (done.stdout + done.stderr).strip()
    # Not answered: lost, a name not known, or no route at all (an --internal network on Docker 26+).
    unanswered = ("packet loss", "bad address", "Network is unreachable")
    if done.rc != 0 and not any(words in output for words in unanswered):
        raise AssertionError(f"ping does not work in {source}: {output or f'exit code {done.rc}'}")
    return done.rc == 0, output


def _addresses(container: Container) -> list[tuple[str, str]]:
    """(network, IP address) of every network the container is on, with an address."""
    networks = _networks(container)
    return [(name, net["IPAddress"]) for name, net in sorted(networks.items()) if net.get("IPAddress")]


@check(
    points=1,
    expected=f"The user-defined bridge networks {LEARNING} and {CATSONLY} exist.",
    hint="`docker network create NAME` makes a user-defined network with the bridge driver.",
    reproduce="docker network ls ; docker network inspect learning catsonly",
)
def test_networks_exist(env: Environment) -> None:
    with Problems() as problems:
        for name in (LEARNING, CATSONLY):
            with problems.collect():
                driver = env.network(name).attrs.get("Driver")
                assert driver == "bridge", f"the network {name} uses the {driver} driver, not bridge"


@check(
    points=3,
    expected="catserver runs on learning and catsonly, dogserver on learning only, "
    "bobcatserver on catsonly only.",
    hint="Start each container with its first network (`docker run -d --name NAME --network NET "
    "busybox sleep 3600`) and add a second one with `docker network connect NET NAME`. "
    "A busybox container without a long-running command (such as `sleep 3600`) stops at once.",
    reproduce="docker ps -a ; docker inspect -f '{{.Name}} {{json .NetworkSettings.Networks}}' "
    "catserver dogserver bobcatserver",
)
def test_containers_on_their_networks(env: Environment) -> None:
    with Problems() as problems:
        for name, wanted in WANTED.items():
            with problems.collect():
                actual = set(_networks(env.running(name)))
                only = " only" if len(wanted) == 1 else ""
                assert actual == wanted, (
                    f"{name} is on {_listed(actual)}; it should be on {_listed(wanted)}{only}"
                )


def _reaches_catserver(env: Environment, source: str) -> None:
    """`source` finds catserver by name and its ping is answered (retried for PING_WAIT_S)."""
    found, why = _found_by_name(env, source, "catserver")
    assert found, why
    last = {"output": ""}

    def answered() -> bool:
        ok, last["output"] = _ping(env, source, "catserver")
        return ok

    if not wait_until(answered, timeout_s=PING_WAIT_S, interval_s=0.5):
        output = last["output"]
        if "bad address" in output:
            raise AssertionError(f"{source} cannot find the name catserver")
        raise AssertionError(f"{source} finds catserver but its ping is not answered: {output}")


@check(
    points=3,
    expected="From inside dogserver and inside bobcatserver, `ping catserver` finds catserver "
    "by name and is answered.",
    hint="On a user-defined network Docker answers container names (its embedded DNS at "
    "127.0.0.11); on the default network bridge it does not. catserver must share a network "
    "with each of them: learning with dogserver, catsonly with bobcatserver.",
    reproduce="docker exec dogserver ping -c 1 catserver ; docker exec bobcatserver ping -c 1 catserver",
)
def test_catserver_reached_by_name(env: Environment) -> None:
    env.running("catserver")
    with Problems() as problems:
        for source in ("dogserver", "bobcatserver"):
            with problems.collect():
                _reaches_catserver(env, source)


@check(
    points=3,
    expected="bobcatserver can neither find dogserver by name nor reach any of its addresses, "
    "and dogserver cannot reach any address of bobcatserver.",
    hint="Containers on different user-defined networks cannot reach each other, and names are "
    "only known within a network. Keep dogserver off catsonly and bobcatserver off learning, "
    "and avoid `--link` and Docker's default network bridge, where every container reaches "
    "every other.",
    reproduce="docker exec bobcatserver ping -c 1 dogserver ; "
    "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' dogserver bobcatserver",
)
def test_dogs_and_bobcats_kept_apart(env: Environment) -> None:
    dog, bobcat = env.running("dogserver"), env.running("bobcatserver")
    with Problems() as problems:
        found, why = _found_by_name(env, "bobcatserver", "dogserver")
        if found:
            problems.add(f"bobcatserver finds dogserver by name: {why}")
        for source, target in (("bobcatserver", dog), ("dogserver", bobcat)):
            for network, address in _addresses(target):
                answered, _ = _ping(env, source, address)
                if answered:
                    on = _listed({network})
                    problems.add(f"{source} reaches {target.name} at {address}, its address on {on}")
