"""The web form: its fields and their rules, its tokens, and its pages (pure: no I/O)."""
