"""Complaints handling for UK social landlords."""

__version__ = "0.1.0"
