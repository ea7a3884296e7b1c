"""The app's pages, one router per module."""

from __future__ import annotations

from fastapi import FastAPI

from paperradar.web.routes import (
    auth,
    digests,
    papers,
    profiles,
    radar,
    saved,
    search,
    topic_map,
    trending,
    welcome,
)


def register(app: FastAPI) -> None:
    modules = (auth, radar, search, papers, saved, trending, profiles, digests, topic_map)
    for module in (*modules, welcome):
        app.include_router(module.router)
