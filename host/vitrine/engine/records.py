"""What the engine recorded in events.db, as typed events on the bus, for whoever keeps its
own account of the mirror (store analytics): a session's start, engagement and end, the
shopper's interactions, the screens shown, associate requests as they move, ratings,
experiment exposures and outcomes, a member linked to a session, and a member forgotten.

RecordingStore is the events store that tells: each write that changed a row is followed by
its record, handed to `listener` (the engine's worker, which publishes it on the bus when the
step ends, also when the step fails afterwards, since the row is in events.db by then). Times
are wall clock, seconds since the epoch, as in events.db.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vitrine.engine.store import EventStore


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecorded:
    """A session began ("start", in `phase`), became engaged ("engaged") or ended ("end",
    with `reason` and `duration_s` from its start)."""

    session: str
    event: str
    at: float
    phase: str | None = None
    reason: str | None = None
    duration_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionRecorded:
    """The shopper interacted (kind: pointer, tap, swipe, wave, navigate, ...) on a screen."""

    session: str
    kind: str
    screen: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenShown:
    """The session's screen changed (a product's sku, a browse page's category)."""

    session: str
    screen: str
    sku: str | None
    category: str | None
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecorded:
    """An associate request was created, acknowledged, fulfilled, cancelled or escalated."""

    session: str
    request: str
    kind: str
    status: str
    sku: str | None
    variant: str | None
    fulfil_s: float | None
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingRecorded:
    session: str
    csat: int
    nps: int | None
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentRecorded:
    """The session was exposed to an experiment's variant (outcome None) or reached its
    outcome."""

    session: str
    experiment: str
    variant: str
    outcome: str | None
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLinked:
    """A consenting loyalty member signed in during the session."""

    session: str
    member: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberForgotten:
    """A member asked to be forgotten: every record naming them is to go."""

    member: str


Record = (
    SessionRecorded
    | InteractionRecorded
    | ScreenShown
    | RequestRecorded
    | RatingRecorded
    | ExperimentRecorded
    | MemberLinked
    | MemberForgotten
)
RECORD_TYPES = (
    SessionRecorded,
    InteractionRecorded,
    ScreenShown,
    RequestRecorded,
    RatingRecorded,
    ExperimentRecorded,
    MemberLinked,
    MemberForgotten,
)


class RecordingStore(EventStore):
    """An EventStore that hands a record of each change it wrote to `listener`."""

    listener: Callable[[Any], None] | None = None

    def _tell(self, record: Any) -> None:
        if self.listener is not None:
            self.listener(record)

    def session_started(self, session_id: str, mirror: str, phase: str, at: float) -> None:
        super().session_started(session_id, mirror, phase, at)
        self._tell(SessionRecorded(session=session_id, event="start", phase=phase, at=at))

    def session_phase(self, session_id: str, phase: str, at: float) -> None:
        before = self.session(session_id)
        super().session_phase(session_id, phase, at)
        if phase == "engaged" and before is not None and before["engaged_at"] is None:
            self._tell(SessionRecorded(session=session_id, event="engaged", at=at))

    def session_ended(self, session_id: str, reason: str, at: float) -> None:
        before = self.session(session_id)
        super().session_ended(session_id, reason, at)
        if before is not None and before["ended_at"] is None:
            duration = max(0.0, at - before["started_at"])
            self._tell(
                SessionRecorded(
                    session=session_id, event="end", reason=reason, duration_s=duration, at=at
                )
            )

    def session_member(self, session_id: str, loyalty_id: str | None) -> None:
        super().session_member(session_id, loyalty_id)
        if loyalty_id is not None:
            row = self.member(loyalty_id)
            at = row["consent_at"] if row else 0.0
            self._tell(MemberLinked(session=session_id, member=loyalty_id, at=at))

    def add_interaction(
        self, session_id: str, kind: str, screen: str, at: float, detail: str | None = None
    ) -> int:
        row = super().add_interaction(session_id, kind, screen, at, detail)
        self._tell(InteractionRecorded(session=session_id, kind=kind, screen=screen, at=at))
        return row

    def interaction_again(self, row_id: int, at: float) -> None:
        super().interaction_again(row_id, at)
        found = self._one(
            "SELECT session, kind, screen FROM interaction WHERE rowid = ?", (row_id,)
        )
        if found is not None:
            self._tell(
                InteractionRecorded(
                    session=found["session"], kind=found["kind"], screen=found["screen"], at=at
                )
            )

    def add_request(self, request: dict[str, Any]) -> None:
        super().add_request(request)
        self._request(request["id"], "created", request["created_at"])

    def acknowledge_request(self, request_id: str, by: str, at: float) -> bool:
        return self._moved(super().acknowledge_request(request_id, by, at), request_id, at)

    def fulfil_request(self, request_id: str, by: str, at: float) -> bool:
        return self._moved(super().fulfil_request(request_id, by, at), request_id, at)

    def cancel_request(self, request_id: str, at: float) -> bool:
        return self._moved(super().cancel_request(request_id, at), request_id, at)

    def escalate_request(self, request_id: str, at: float) -> bool:
        done = super().escalate_request(request_id, at)
        if done:
            self._request(request_id, "escalated", at)
        return done

    def _moved(self, done: bool, request_id: str, at: float) -> bool:
        if done:
            self._request(request_id, None, at)
        return done

    def _request(self, request_id: str, status: str | None, at: float) -> None:
        row = self.request(request_id)
        if row is None:
            return
        self._tell(
            RequestRecorded(
                session=row["session"],
                request=request_id,
                kind=row["kind"],
                status=status or row["status"],
                sku=row["sku"],
                variant=row["variant"],
                fulfil_s=row["fulfil_s"] if row["status"] == "fulfilled" else None,
                at=at,
            )
        )

    def add_exposure(self, session_id: str, experiment: str, variant: str, at: float) -> bool:
        done = super().add_exposure(session_id, experiment, variant, at)
        if done:
            self._tell(
                ExperimentRecorded(
                    session=session_id,
                    experiment=experiment,
                    variant=variant,
                    outcome=None,
                    at=at,
                )
            )
        return done

    def add_outcome(
        self, session_id: str, experiment: str, variant: str, outcome: str, at: float
    ) -> bool:
        done = super().add_outcome(session_id, experiment, variant, outcome, at)
        if done:
            self._tell(
                ExperimentRecorded(
                    session=session_id,
                    experiment=experiment,
                    variant=variant,
                    outcome=outcome,
                    at=at,
                )
            )
        return done

    def add_rating(self, session_id: str, csat: int, nps: int | None, at: float) -> bool:
        done = super().add_rating(session_id, csat, nps, at)
        if done:
            self._tell(RatingRecorded(session=session_id, csat=csat, nps=nps, at=at))
        return done

    def forget_member(self, loyalty_id: str) -> None:
        super().forget_member(loyalty_id)
        self._tell(MemberForgotten(member=loyalty_id))
