"""policydiff's desktop app (PySide6). Imports archiver; archiver never imports this package."""
