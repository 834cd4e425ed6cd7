"""Triage: every complaint classified (category and remit), located (district → street →
community) and routed (→ responsible unit), each with how sure it is and why.

``text`` normalises what people type; ``features`` turns texts into the sparse vectors the
classifier reads; ``classifier`` is the model (trained, versioned, calibrated) and ``lexicon`` its
cold start; ``locator`` places addresses on the configured gazetteer; ``router`` applies the
routing rules of ``routing.yaml``; ``service`` ties them to complaints and keeps the operator's
corrections as training data.
"""
