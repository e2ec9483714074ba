"""policydiff's core: web-archive client, extraction, local archive, diffing and exports.

Never imports Qt (a test enforces it), so every part runs and tests headless.
"""

__version__ = "0.1.0"
