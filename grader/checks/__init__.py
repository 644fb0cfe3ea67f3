"""Running an exercise's checks: the pytest plugin, the testinfra backend and shell framing,
the probe toolkit, and what is read from outside a container (archive, lookout).
"""
