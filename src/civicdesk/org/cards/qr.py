"""QR codes for printed service cards: SVG from ``segno`` (pure Python, no image library)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno


def portal_url(base_url: str, area_code: str) -> str:
    """The portal's submission page with the card's street chosen."""
    return f"{base_url.rstrip('/')}/portal?{urlencode({'area': area_code})}"


def qr_svg(url: str) -> str:
    """An inline SVG (no size attributes: CSS sizes it; a viewBox keeps it square)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True)
