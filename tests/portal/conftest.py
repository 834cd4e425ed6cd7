from tests.citizen import app, client, media, settings_overrides  # noqa: F401 (fixtures)
