"""The local stack: the same handlers on this machine."""
