"""Spawned child that fails before it talks to its parent."""
raise SystemExit('raise_early.py: failing on purpose before connecting to the parent')
