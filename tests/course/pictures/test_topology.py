"""What the pictures make of the engine's answers, where no engine is needed (the rest is in
test_network_map.py, against a real engine)."""

from __future__ import annotations

from grader.course.pictures.topology import Topology, published_ports


def test_published_ports_are_in_port_order_with_ip_twins_once() -> None:
    ports = {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
        "9000/tcp": [{"HostIp": "", "HostPort": "9000"}],
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
        "443/tcp": None,
    }
    assert published_ports(ports) == ("127.0.0.1:5353→53/udp", "8080→80/tcp", "9000→9000/tcp")


def test_no_published_ports() -> None:
    assert published_ports({}) == () and published_ports({"80/tcp": None}) == ()


def test_a_topology_lists_its_containers_and_attachments() -> None:
    topology = Topology({"front": {"web"}, "back": {"web", "db"}, "empty": set()})
    assert topology.containers() == ["db", "web"]
    assert topology.pairs() == {("web", "front"), ("web", "back"), ("db", "back")}
    assert Topology().containers() == [] and Topology().pairs() == set()
