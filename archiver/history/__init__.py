"""A policy's change history with the fewest downloads: change-point discovery (``discovery``), its
pure search logic (``bisect``), what it keeps between runs (``state``) and version windows
(``windows``). Import the submodules; this package imports nothing, so the fetch job can use
``state`` without a cycle."""
