"""This machine and its Docker engine: connecting, system facts, labels, leftovers, base images.

The lowest layer that talks to Docker; it knows nothing of exercises' checks or grades.
"""
