"""The officers' workspace at /kelola: sign in, then record decisions through forms.

Server-rendered and working without JavaScript. Each decision goes through
the same commands as the API, attributed to the signed-in officer; every
form carries a CSRF token and the partner's version, so a decision taken on
a stale view is refused with what changed since; a termination is restated
for confirmation before it is recorded.
"""

from __future__ import annotations

import secrets
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from registry.adapters.tokens import Actor, Permission
from registry.api.deps import ServicesDep
from registry.api.i18n import N_
from registry.api.oidc import SignInRefusedError
from registry.api.problems import status_of
from registry.api.services import Services
from registry.api.sessions import Session
from registry.api.templating import page, words_of
from registry.api.workspace_forms import (
    DECISIONS,
    FieldError,
    field_of,
    record_rule_set,
    register,
)
from registry.domain.criteria import Criterion, LegalForm, Verdict
from registry.domain.exceptions import PartnerNotFoundError, RegistryError, StaleVersionError

router = APIRouter(prefix="/kelola", include_in_schema=False)
HOME = "/kelola"


@router.get("")
def home(request: Request, services: ServicesDep) -> Response:
    """The partners to decide on, or the sign-in page."""
    session = services.sessions.current(request)
    if session is None:
        return _sign_in(request, services)
    rows = sorted(services.read_models.partners(), key=lambda r: r.name.casefold())
    return page(request, "kelola/home.html", {"session": session, "partners": rows})


def _sign_in(
    request: Request, services: Services, error: str | None = None, status: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(24)
    provider = services.identity_provider
    context = {"csrf": csrf, "error": error, "provider": provider.name if provider else None}
    response = page(request, "kelola/sign_in.html", context, status)
    services.sessions.remember_sign_in(response, {"csrf": csrf})
    return response


@router.post("/masuk")
async def sign_in_with_token(request: Request, services: ServicesDep) -> Response:
    """Sign in with an API token (the embedded default, without an identity provider)."""
    form = await _form(request)
    kept = services.sessions.sign_in_state(request) or {}
    if not secrets.compare_digest(kept.get("csrf", "-"), form.get("csrf", "")):
        return _refused(request, N_("The form has expired or was not sent from this site."))
    actor = await run_in_threadpool(services.tokens.authenticate, form.get("token", "").strip())
    if actor is None:
        message = N_("That is not a live token of this registry.")
        return _sign_in(request, services, error=message, status=401)
    return _signed_in(services, actor)


@router.get("/oidc/mulai")
def sign_in_with_provider(services: ServicesDep) -> Response:
    """Send the officer to the identity provider."""
    provider = services.identity_provider
    if provider is None:
        return RedirectResponse(HOME, status_code=303)
    url, kept = provider.begin()
    response = RedirectResponse(url, status_code=303)
    services.sessions.remember_sign_in(response, kept)
    return response


@router.get("/oidc/kembali")
def provider_answered(request: Request, services: ServicesDep) -> Response:
    """The provider sends the officer back: check its answer, then open the session."""
    provider, kept = services.identity_provider, services.sessions.sign_in_state(request)
    if provider is None or kept is None or "state" not in kept:
        return _sign_in(
            request, services, error=N_("The sign-in expired; start again."), status=400
        )
    try:
        actor = provider.finish(str(request.url), kept)
    except SignInRefusedError:
        message = N_("The identity provider did not sign you in as an officer of this registry.")
        return _sign_in(request, services, error=message, status=403)
    return _signed_in(services, actor)


def _signed_in(services: Services, actor: Actor) -> Response:
    response = RedirectResponse(HOME, status_code=303)
    services.sessions.start(response, actor)
    services.sessions.forget_sign_in(response)
    return response


@router.post("/keluar")
async def sign_out(request: Request, services: ServicesDep) -> Response:
    """End the session."""
    form = await _form(request)
    if _session(request, services, form) is None:
        return _refused(request, N_("The form has expired or was not sent from this site."))
    response = RedirectResponse(HOME, status_code=303)
    services.sessions.end(response)
    return response


@router.get("/daftar")
def registration_form(request: Request, services: ServicesDep) -> Response:
    """The form to register a platform."""
    session = services.sessions.current(request)
    if session is None:
        return RedirectResponse(HOME, status_code=303)
    return _registration_page(request, session, {}, {})


@router.post("/daftar")
async def register_platform(request: Request, services: ServicesDep) -> Response:
    """Register a platform from the form; refusals are shown next to the field."""
    form = await _form(request)
    session = _session(request, services, form)
    if session is None:
        return _refused(request, N_("Sign in again: the form has expired."))
    try:
        recorded = await run_in_threadpool(register, services.registry, form, session.actor)
    except FieldError as unreadable:
        return _registration_page(request, session, form, {unreadable.field: str(unreadable)}, 422)
    except RegistryError as refused:
        field = field_of(str(refused), ("name", "legal_form", "reason", "effective_date"))
        said = {field: words_of(request).refusal(refused)}
        return _registration_page(request, session, form, said, status_of(refused)[0])
    return RedirectResponse(f"{HOME}/mitra/{recorded.partner_id}?dicatat=1", status_code=303)


def _registration_page(
    request: Request, session: Session, form: dict[str, str], errors: dict[str, str],
    status: int = 200,
) -> Response:  # fmt: skip
    context = {"session": session, "form": form, "errors": errors,
               "legal_forms": [f.value for f in LegalForm]}  # fmt: skip
    return page(request, "kelola/register.html", context, status)


@router.get("/aturan")
def rules_page(request: Request, services: ServicesDep) -> Response:
    """The rule book, and for directors the form to record a new rule set."""
    session = services.sessions.current(request)
    if session is None:
        return RedirectResponse(HOME, status_code=303)
    return _rules_page(request, services, session, {}, {})


@router.post("/aturan")
async def record_rules(request: Request, services: ServicesDep) -> Response:
    """Record a rule set from the form (directors); refusals come back next to the field."""
    form = await _form(request)
    session = _session(request, services, form)
    if session is None:
        return _refused(request, N_("Sign in again: the form has expired."))
    if not session.actor.may(Permission.RECORD_RULES):
        return _refused(request, N_("Your role may not take this decision."))
    try:
        await run_in_threadpool(record_rule_set, services.registry, form, session.actor)
    except FieldError as unreadable:
        return await run_in_threadpool(_rules_page, request, services, session, form,
                                       {unreadable.field: str(unreadable)}, 422)  # fmt: skip
    except RegistryError as refused:
        field = field_of(str(refused), ("identifier", "title", "reason"))
        return await run_in_threadpool(_rules_page, request, services, session, form,
                                       {field: words_of(request).refusal(refused)},
                                       status_of(refused)[0])  # fmt: skip
    return RedirectResponse(f"{HOME}/aturan?dicatat=1", status_code=303)


def _rules_page(
    request: Request, services: Services, session: Session, form: dict[str, str],
    errors: dict[str, str], status: int = 200,
) -> Response:  # fmt: skip
    book = services.registry.rule_book()
    context = {
        "session": session, "form": form, "errors": errors,
        "rule_sets": sorted(book.rule_sets.values(), key=lambda r: r["in_force_from"]),
        "criteria": [c.value for c in Criterion], "recorded": request.query_params.get("dicatat"),
        "may_record": session.actor.may(Permission.RECORD_RULES),
    }  # fmt: skip
    return page(request, "kelola/rules.html", context, status)


@router.get("/mitra/{partner_id}")
def partner_page(request: Request, partner_id: UUID, services: ServicesDep) -> Response:
    """One partner, and a form for each decision the officer's role may take."""
    session = services.sessions.current(request)
    if session is None:
        return RedirectResponse(HOME, status_code=303)
    return _partner_page(request, services, session, partner_id)


@router.post("/mitra/{partner_id}/{decision}")
async def decide(
    request: Request, partner_id: UUID, decision: str, services: ServicesDep
) -> Response:
    """Record one decision from its form: confirmed first where it must be; never when stale."""
    form = await _form(request)
    session, spec = _session(request, services, form), DECISIONS.get(decision)
    if session is None or spec is None:
        return _refused(request, N_("Sign in again: the form has expired."))
    if not session.actor.may(spec.permission):
        return _refused(request, N_("Your role may not take this decision."))
    if spec.confirm and form.get("confirmed") != "yes":
        return await run_in_threadpool(_confirmation, request, services, session, partner_id,
                                       decision, form)  # fmt: skip
    return await run_in_threadpool(_recorded, request, services, session, partner_id, decision,
                                   form)  # fmt: skip


def _recorded(
    request: Request, services: Services, session: Session, partner_id: UUID, decision: str,
    form: dict[str, str],
) -> Response:  # fmt: skip
    """The decision recorded (back to the partner), or the form again with why it was not."""
    spec = DECISIONS[decision]
    try:
        recorded = spec.record(services.registry, partner_id, form, session.actor)
    except StaleVersionError:
        return _stale(request, services, session, partner_id, form)
    except FieldError as unreadable:
        errors = {decision: {unreadable.field: str(unreadable)}}
        return _partner_page(request, services, session, partner_id, errors, form, 422)
    except RegistryError as refused:
        errors = {
            decision: {field_of(str(refused), spec.fields): words_of(request).refusal(refused)}
        }
        return _partner_page(request, services, session, partner_id, errors, form,
                             status_of(refused)[0])  # fmt: skip
    return RedirectResponse(f"{HOME}/mitra/{partner_id}?dicatat={recorded.version}",
                            status_code=303)  # fmt: skip


def _partner_page(
    request: Request, services: Services, session: Session, partner_id: UUID,
    errors: dict[str, dict[str, str]] | None = None, form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    try:
        partner = services.registry.get(partner_id)
    except PartnerNotFoundError:
        return page(request, "not_found.html", {"detail": f"No partner has the id {partner_id}."},
                    404)  # fmt: skip
    context = {
        "session": session, "partner": partner, "errors": errors or {}, "form": form or {},
        "criteria": [c.value for c in Criterion], "verdicts": [v.value for v in Verdict],
        "recorded": request.query_params.get("dicatat"),
        "may": {name: session.actor.may(spec.permission) for name, spec in DECISIONS.items()},
        "simple": [(name, spec) for name, spec in DECISIONS.items()
                   if spec.title and session.actor.may(spec.permission)],
    }  # fmt: skip
    return page(request, "kelola/partner.html", context, status)


def _confirmation(
    request: Request, services: Services, session: Session, partner_id: UUID, decision: str,
    form: dict[str, str],
) -> Response:  # fmt: skip
    partner = services.registry.get(partner_id)
    context = {"session": session, "partner": partner, "decision": decision, "form": form}
    return page(request, "kelola/confirm.html", context)


def _stale(
    request: Request, services: Services, session: Session, partner_id: UUID,
    form: dict[str, str],
) -> Response:  # fmt: skip
    """The decision is refused: what changed since the form was opened, and the form again."""
    opened_at = int(form.get("version", "0") or 0)
    changes = [e for e in services.registry.history(partner_id) if e["version"] > opened_at]
    partner = services.registry.get(partner_id)
    context = {"session": session, "partner": partner, "changes": changes}
    return page(request, "kelola/stale.html", context, 409)


def _session(request: Request, services: Services, form: dict[str, str]) -> Session | None:
    """The signed-in officer, if the form carries the session's CSRF token."""
    session = services.sessions.current(request)
    if session is None or not secrets.compare_digest(session.csrf, form.get("csrf", "")):
        return None
    request.state.actor = session.actor
    return session


async def _form(request: Request) -> dict[str, str]:
    """The submitted fields as text (a file or a repeated field is not part of any form here)."""
    submitted = await request.form()
    return {name: value for name, value in submitted.items() if isinstance(value, str)}


def _refused(request: Request, message: str) -> Response:
    return page(request, "error.html", {"heading": N_("Not allowed"), "detail": message}, 403)
