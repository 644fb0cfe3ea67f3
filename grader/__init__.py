"""The Docker course's autograder: grade what students built, in sandboxed engines."""

__version__ = "0.2.0"
