"""Answers across versions (docs/answers.md): stated dates and silent changes, topics of a change,
measures of a text over time. No Qt, no storage: callers pass texts and versions in."""
