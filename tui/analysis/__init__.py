"""Alert analysis: field roles, MITRE names, rule knowledge, checklists, tuning.

Nothing here imports Textual; the widgets render these plain-text results.
"""

from tui.analysis.analyze import Analysis, FieldRole, analyze
from tui.analysis.checklist import ChecklistItem, checklist
from tui.analysis.exceptions import exception_snippet
from tui.analysis.fields import FieldInfo, field_info
from tui.analysis.knowledge import RuleEntry, lookup
from tui.analysis.mitre import MitreRef, mitre_refs

__all__ = [
    "Analysis",
    "ChecklistItem",
    "FieldInfo",
    "FieldRole",
    "MitreRef",
    "RuleEntry",
    "analyze",
    "checklist",
    "exception_snippet",
    "field_info",
    "lookup",
    "mitre_refs",
]
