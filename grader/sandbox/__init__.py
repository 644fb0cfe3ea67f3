"""A nested engine per submission: the sandbox itself, its guard, build contexts, builds,
the runner that executes a setup script, and the containers the checks run in.
"""
