"""Pictures for the notebooks, drawn from the live engine as SVG: networks and image layers."""

from grader.course.pictures.layers import layers
from grader.course.pictures.network_map import compare, network_map
from grader.course.pictures.topology import Topology

__all__ = ["Topology", "compare", "layers", "network_map"]
