"""Open311 GeoReport v2 for outside clients, under /open311/v2/ (docs/open311.md)."""
