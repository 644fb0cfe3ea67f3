"""The Docker course's autograder: grade what students built, in sandboxed engines."""

__version__ = "0.1.0"
