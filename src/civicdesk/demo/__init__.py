"""Demo data: a deterministic, realistic history of complaints and cases with planted repeats
(the truth repeat detection is scored against), and the demo logins.

The entry point is ``civicdesk.demo.generator.generate_history``; nothing is imported here, so
that loading ``civicdesk.demo.models`` (for the metadata) pulls in no services."""
