"""Grading a class: planning submissions, the pool and cluster that grade them, the store,
the gradebook, deadlines and overrides, and provenance.
"""
