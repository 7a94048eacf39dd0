"""The ``register`` command's options, built from the one definition of a platform.

Each field of ``PlatformDetails`` becomes an option with its help text, so a
field added to the declaration reaches the CLI without being written again.
A declared criterion is an explicit yes or no: nothing about eligibility is
assumed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import NoneType
from typing import Annotated, Any, get_args, get_type_hints

import typer

from registry.domain.platforms import PLATFORM_FIELDS, PlatformDetails

# Shorter flags kept from before the options were derived.
_FLAGS = {"technology_ready": ("--technology",)}


class YesNo(StrEnum):
    """An explicit declaration: nothing about eligibility is assumed."""

    YES = "yes"
    NO = "no"


def with_platform_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` (which takes ``**declared``) one parameter per platform field."""
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    context, rest = own[:1], own[1:]
    declared = [_parameter(fact.name, fact.metadata["help"]) for fact in PLATFORM_FIELDS]
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*context, *declared, *(p.replace(kind=p.KEYWORD_ONLY) for p in rest)]
    )
    return command


def declaration(declared: Mapping[str, Any]) -> PlatformDetails:
    """The platform's declaration from the parsed options."""
    plain: dict[str, Any] = {
        k: (v is YesNo.YES if isinstance(v, YesNo) else v) for k, v in declared.items()
    }
    return PlatformDetails(**plain)


def _parameter(name: str, help_text: str) -> inspect.Parameter:
    kind = get_type_hints(PlatformDetails)[name]
    keyword = inspect.Parameter.KEYWORD_ONLY
    default: object = inspect.Parameter.empty
    option: object
    if name == "name":
        return inspect.Parameter(
            name, keyword, annotation=Annotated[str, typer.Argument(metavar="NAME", help=help_text)]
        )
    if kind is bool:
        option = Annotated[YesNo, typer.Option(*_FLAGS.get(name, ()), help=help_text)]
    elif NoneType in get_args(kind):
        option = Annotated[str | None, typer.Option(metavar="TEXT", help=help_text)]
        default = None
    else:
        option = Annotated[kind, typer.Option(help=help_text)]
    return inspect.Parameter(name, keyword, annotation=option, default=default)
