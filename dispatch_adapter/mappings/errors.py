"""The one error every mapping raises: which field of the caller's document is missing or wrong."""

from __future__ import annotations


class MappingError(ValueError):
    """`field` is a path in the caller's own document (``info.area.circle``), never one of ours,
    so the CAD integrator can find what to fix without reading our schema."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
