"""Who may see which profile: a user their own, single-user mode every profile.

A profile the viewer may not use answers 404, as a profile that does not exist: other
users' profile names are not revealed.
"""

from __future__ import annotations

from fastapi import HTTPException

from paperradar.radar.profiles import profile_names
from paperradar.store.api import Store
from paperradar.web.accounts import owned_profiles, owner_of
from paperradar.web.deps import Viewer


def profiles_for(store: Store, viewer: Viewer) -> list[str]:
    """The profiles the viewer may see and change, by name."""
    if viewer.single_user or viewer.user is None:
        return profile_names(store) if viewer.single_user else []
    return owned_profiles(store, viewer.user)


def require_profile(store: Store, viewer: Viewer, name: str | None) -> str:
    """``name`` if the viewer may use it; their first profile when ``name`` is None; 404
    otherwise (also when they have no profile at all)."""
    allowed = profiles_for(store, viewer)
    if name is None:
        if not allowed:
            raise HTTPException(status_code=404, detail="no profile yet: create one first")
        return allowed[0]
    if viewer.single_user and name in allowed:
        return name
    if viewer.user is not None and owner_of(store, name) == viewer.user.id:
        return name
    raise HTTPException(status_code=404, detail=f"no profile named {name!r}")
