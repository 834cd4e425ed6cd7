from __future__ import annotations

import pytest

from civicdesk.triage import service


@pytest.fixture
def engine_(session):
    """The triage engine of the loaded Hangzhou configuration (no model: the cold start)."""
    return service.build_engine(session)
