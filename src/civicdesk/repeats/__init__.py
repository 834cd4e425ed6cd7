"""Repeat complaints (重复投诉) and duplicate intake (重复受理): detection, links with their
explanation, the operator's decisions, and the measures (docs/repeats.md)."""
