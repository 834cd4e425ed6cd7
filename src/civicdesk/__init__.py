"""civicdesk: one platform for city-management complaints (城管信访投诉)."""

__version__ = "0.1.0"
