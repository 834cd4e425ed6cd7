"""ASGI entry point for process managers: ``uvicorn civicdesk.asgi:app`` (settings from env)."""

from civicdesk.app import create_app

app = create_app()
