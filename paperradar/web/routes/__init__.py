"""The app's pages, one router per module."""

from __future__ import annotations

from fastapi import FastAPI

from paperradar.web.routes import (
    auth,
    digests,
    papers,
    profiles,
    radar,
    search,
    topic_map,
    trending,
    welcome,
)


def register(app: FastAPI) -> None:
    for module in (auth, radar, search, papers, trending, profiles, digests, topic_map, welcome):
        app.include_router(module.router)
