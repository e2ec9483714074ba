"""Search across every version of every policy: the FTS5 paragraph index (``fts``) and the
questions it answers (``search``: which versions say it, first appeared, last seen)."""
