"""The notebooks' side: check cells' helpers, the autograde kernel's sandbox, nbgrader,
and the pictures drawn from a live engine.
"""
