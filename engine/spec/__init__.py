"""The definition model: immutable specs of a process, built by `engine.loading`, read by everything else.

Specs are frozen, slotted dataclasses holding tuples, so a definition can be shared by any number of
running instances without anyone changing it under them. A new definition is a new version.
"""

from engine.spec.model import (
    AnchorKind,
    AnchorSpec,
    BreachActionSpec,
    ChildSpec,
    CountSpec,
    DecisionRowSpec,
    DecisionTableSpec,
    DueSpec,
    DutySpec,
    EventSpec,
    ExitSpec,
    FieldSpec,
    FormSpec,
    MetricSpec,
    ProcessSpec,
    ReportSpec,
    RoleSpec,
    ScheduleSpec,
    Scope,
    StageSpec,
    VariableSpec,
    WindowSpec,
)

__all__ = [
    "AnchorKind",
    "AnchorSpec",
    "BreachActionSpec",
    "ChildSpec",
    "CountSpec",
    "DecisionRowSpec",
    "DecisionTableSpec",
    "DueSpec",
    "DutySpec",
    "EventSpec",
    "ExitSpec",
    "FieldSpec",
    "FormSpec",
    "MetricSpec",
    "ProcessSpec",
    "ReportSpec",
    "RoleSpec",
    "ScheduleSpec",
    "Scope",
    "StageSpec",
    "VariableSpec",
    "WindowSpec",
]
