"""Grading one submission: an image exercise, a setup script, or live on a student's own engine."""
