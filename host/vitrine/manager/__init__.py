"""The store manager's dashboard: the store's funnel, trends, zones, mirrors and A/B results
from the analytics (vitrine.analytics), at /manager, behind a PIN or token of its own."""

from __future__ import annotations

from vitrine.manager.app import manager_router

__all__ = ["manager_router"]
