"""Analyses across the versions of a policy (no Qt, no storage: callers pass texts and versions in):
paragraph history (``blame``); stated dates and silent changes (``dateflags``), topics of a change
(``topics``), measures of a text over time (``measures``), see docs/answers.md."""
