"""What a command must satisfy before it changes anything: who acts (an id fit for the journal, the
roles the definition allows), the data (valid against the schemas, within the bounds), the names it
uses (known to the definition). Each check raises `CommandRefused` with the reason and, where there
are several problems, every one of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from engine.errors import CommandRefused, Reason, did_you_mean
from engine.runtime.events import ENGINE, Actor
from engine.runtime.validation import Checker, data_bounds
from engine.spec.model import FormSpec


def refusal_data(refusal: CommandRefused) -> dict[str, Any]:
    return {"reason": refusal.reason.value, "message": refusal.message, "details": list(refusal.details)}


def require_role(actor: Actor, allowed: set[str], action: str, needed: Iterable[str] = ()) -> None:
    if not actor.roles & allowed:
        names = ", ".join(sorted(needed or allowed))
        held = ", ".join(sorted(actor.roles)) or "no role"
        raise CommandRefused(
            Reason.ROLE_NOT_ALLOWED, f"{actor.id} ({held}) may not {action}; allowed: {names}"
        )


def require_signer_role(actor: Actor, role: str, form: FormSpec) -> None:
    """Signing "as" a role: the form must ask for it and the actor must hold it."""
    if role not in form.signed_by:
        raise CommandRefused(
            Reason.ROLE_NOT_ALLOWED,
            f"{form.id} is not signed as {role}; it is signed by {', '.join(form.signed_by)}",
        )
    if role not in actor.roles:
        held = ", ".join(sorted(actor.roles)) or "no role"
        raise CommandRefused(
            Reason.ROLE_NOT_ALLOWED,
            f"{actor.id} ({held}) does not hold the role {role} and cannot sign as it",
        )


MAX_ID = 200


def require_actor(actor: Actor) -> None:
    """Who acts is written to the journal and shown on terminals: a printable id of bounded length
    that is not the engine's own, and roles alike."""
    for what, text in (("actor id", actor.id), *(("role", role) for role in sorted(actor.roles))):
        if not text or len(text) > MAX_ID or not text.isprintable() or text != text.strip():
            shown = repr(text[:40]) + ("…" if len(text) > 40 else "")
            raise CommandRefused(
                Reason.INVALID_ACTOR,
                f"the {what} {shown} is not usable: 1 to {MAX_ID} printable characters, "
                "no control characters, no surrounding spaces",
            )
    if actor.id == ENGINE.id:
        raise CommandRefused(
            Reason.INVALID_ACTOR, f"'{ENGINE.id}' is the engine's own id; an actor needs another"
        )


def fingerprint(name: str, target: str, args: list[Any], actor: Actor) -> str:
    """What makes two keyed commands the same command; data too large for that is refused."""
    for arg in args:
        if isinstance(arg, Mapping):
            problems, too_large = data_bounds(arg)
            if too_large:
                raise CommandRefused(Reason.INVALID_DATA, f"cannot {name}", problems)
    return json.dumps(
        [name, target, args, sorted(actor.roles)], sort_keys=True, default=str, ensure_ascii=False
    )


def require_valid(checker: Checker, data: Mapping[str, Any], message: str) -> None:
    """Data that is not a mapping at all (a list, a number, None from a caller's JSON) is refused like
    any other invalid data, with the schema's own words."""
    found = checker.problems(dict(data) if isinstance(data, Mapping) else data)
    if found:
        raise CommandRefused(Reason.INVALID_DATA, message, found)


def require_known(name: str, known: set[str], what: str) -> None:
    if name not in known:
        raise CommandRefused(
            Reason.UNKNOWN_NAME, f"no {what} '{name}' in this process{did_you_mean(name, sorted(known))}"
        )
