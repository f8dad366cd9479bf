from .demand import Assignment, Demand, DemandCategory, DemandSearch, DemandSequence, Note, StatusChange
from .records import (
    Agreement,
    Attachment,
    Dispatch,
    Escalation,
    LedgerEntry,
    Milestone,
    Preparation,
    ServicePlan,
    Summary,
    TypicalCase,
)
from .tasks import ContactAttempt, SpecialTask, TaskTarget

__all__ = [
    "Agreement",
    "Assignment",
    "Attachment",
    "ContactAttempt",
    "Demand",
    "DemandCategory",
    "DemandSearch",
    "DemandSequence",
    "Dispatch",
    "Escalation",
    "LedgerEntry",
    "Milestone",
    "Note",
    "Preparation",
    "ServicePlan",
    "SpecialTask",
    "StatusChange",
    "Summary",
    "TaskTarget",
    "TypicalCase",
]
