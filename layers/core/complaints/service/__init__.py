"""Use cases: each takes its ports as arguments."""
