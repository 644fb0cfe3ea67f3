"""What an exercise is and what grading it gave: plain data, no Docker, no rendering."""
