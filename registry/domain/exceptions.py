"""Refusals the registry gives, one class per reason an officer can act on.

Entry points map these to responses (an HTTP status, a CLI exit code) by
class, so each distinct remedy has its own class.

A refusal keeps its message as a template and the values put into it, so a
page in the reader's language can translate the sentence and show the dates
its own way; ``str()`` is the sentence in English, as the API and CLI give it.
"""

from __future__ import annotations


class Term(str):
    """A word of the registry's own language put into a refusal: a field, a decision, a state.

    A page in another language names it in its own words, where a name or a
    number the officer typed is shown as it is.
    """


class RegistryError(Exception):
    """Base of every refusal; the message is written for the officer.

    ``template`` holds ``%(name)s`` placeholders filled from ``params``.
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


class InvalidCommandError(RegistryError):
    """A value in the command is missing, blank, too long or out of range."""


class NotAPlatformError(RegistryError):
    """The applicant sells only its own training: a training institution."""


class IneligiblePlatformError(RegistryError):
    """The applicant does not meet the eligibility criteria it must meet."""


class DuplicatePartnerError(RegistryError):
    """The platform already has a partnership that has not been terminated."""


class PartnerTerminatedError(RegistryError):
    """The partnership is terminated; termination is final."""


class PartnerWithdrawnError(RegistryError):
    """The platform withdrew from the programme; like a termination, that end is final."""


class InvalidSuspensionError(RegistryError):
    """Suspending a suspended partner, or reinstating one that is not suspended."""


class InvalidObjectionError(RegistryError):
    """An objection to something that cannot be objected to, too late, twice, or decided twice."""


class InvalidCorrectionError(InvalidCommandError):
    """A correction of nothing, of a field the event does not have, or one breaking a rule."""


class InvalidRuleSetError(InvalidCommandError):
    """A rule set recorded twice, beginning the same day as another, or leaving out a criterion."""


class IncompleteEvaluationError(RegistryError):
    """An evaluation must give a result for each of the four criteria."""


class InvalidWarningError(RegistryError):
    """A warning needs a breach, what it concerns and a future deadline."""


class PartnerNotFoundError(RegistryError):
    """No partnership has the given id or name."""


class InvalidPointInTimeError(RegistryError, ValueError):
    """A day or moment to read the register at that is not written as one."""


class StaleVersionError(RegistryError):
    """The caller acted on an older version of the partner than the current one."""


class ConcurrencyConflictError(RegistryError):
    """Another command changed the partner while this one was being recorded."""
