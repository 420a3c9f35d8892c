"""Supervisor-only reads: the agreement report and the disagreement list compare
coders' decisions, so they are refused to anyone but a supervisor or an admin.

The check runs here, in the library call path, so a front end cannot skip it by
forgetting to hide a page; `settle` checks the role itself.
"""

from __future__ import annotations

from typing import Any

from qualcode.agreement.adjudication import (
    SUPERVISOR_ROLES,
    Disagreement,
    disagreements,
    require_role,
)
from qualcode.agreement.report import agreement_report
from qualcode.store import Project


def supervised_agreement(project: Project, viewer: str, **options: Any) -> dict[str, Any]:
    """`agreement_report(project, **options)` for a supervisor or admin `viewer`."""
    require_role(project, viewer, SUPERVISOR_ROLES)
    return agreement_report(project, **options)


def supervised_disagreements(project: Project, viewer: str, **options: Any) -> list[Disagreement]:
    """`disagreements(project, **options)` for a supervisor or admin `viewer`."""
    require_role(project, viewer, SUPERVISOR_ROLES)
    return disagreements(project, **options)
