"""The API with the feed folder also mounted as plain static files, for the feed benchmark."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from registry.api.app import app_from_environment


def app() -> FastAPI:
    """The registry's app plus /static serving the same feed files."""
    served = app_from_environment()
    served.mount("/static", StaticFiles(directory=served.state.services.settings.feed_dir))
    return served
