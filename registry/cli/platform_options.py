"""The ``register`` command's options, built from the one definition of a platform.

Each field of the ``Declaration`` becomes an option with its help text, so a
field added to the declaration reaches the CLI without being written again.
A declared criterion is an explicit yes or no: nothing about eligibility is
assumed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

import typer

from registry.domain.platforms import DECLARED, Declaration, DeclaredField, declaration

# Shorter flags kept from before the options were derived.
_FLAGS = {"technology_ready": ("--technology",)}


class YesNo(StrEnum):
    """An explicit declaration: nothing about eligibility is assumed."""

    YES = "yes"
    NO = "no"


def with_platform_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` (which takes ``**declared``) one parameter per declared field."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    context, rest = own[:1], own[1:]
    declared = [_parameter(field) for field in DECLARED]
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*context, *declared, *(p.replace(kind=p.KEYWORD_ONLY) for p in rest)]
    )
    return command


def declaration_of(options: Mapping[str, Any]) -> Declaration:
    """The platform's declaration from the parsed options."""
    return declaration(
        **{k: (v is YesNo.YES if isinstance(v, YesNo) else v) for k, v in options.items()}
    )


def _parameter(field: DeclaredField) -> inspect.Parameter:
    keyword = inspect.Parameter.KEYWORD_ONLY
    default: object = inspect.Parameter.empty
    help_text = field.fact.help
    option: object
    if field.name == "name":
        option = Annotated[str, typer.Argument(metavar="NAME", help=help_text)]
    elif field.fact.choices is not None:
        option = Annotated[field.fact.choices, typer.Option(help=help_text)]
    elif field.kind is bool:
        option = Annotated[YesNo, typer.Option(*_FLAGS.get(field.name, ()), help=help_text)]
    else:
        option = Annotated[str | None, typer.Option(metavar="TEXT", help=help_text)]
        default = None
    return inspect.Parameter(field.name, keyword, annotation=option, default=default)
