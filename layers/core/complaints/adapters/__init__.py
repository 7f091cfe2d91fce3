"""Adapters at the edge: files, caches, AWS and local services."""
