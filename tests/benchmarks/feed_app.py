"""The API with the feed also served as a plain static file, for the feed benchmark."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from registry.api.app import app_from_environment


def app() -> FastAPI:
    """The registry's app plus /static serving the same feed's bytes from FEED_STATIC_DIR."""
    served = app_from_environment()
    served.mount("/static", StaticFiles(directory=os.environ["FEED_STATIC_DIR"]))
    return served
