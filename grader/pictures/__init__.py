"""The notebooks' pictures, at their public path: `from grader.pictures import network_map`.

The code is in `grader.course.pictures`.
"""

from grader.course.pictures import Topology, compare, layers, network_map

__all__ = ["Topology", "compare", "layers", "network_map"]
