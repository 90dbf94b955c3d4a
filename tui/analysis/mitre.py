"""MITRE ATT&CK names for the tactic and technique tags of Falco rules.

Falco's syscall rules tag tactics as ``mitre_<tactic>`` and techniques by id
(``T1055.008``). The GCP plugin rules use ``T1562-impair-defenses`` and
``TA0005-defense-evasion``. Names follow ATT&CK for Enterprise (version 15).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TACTICS: dict[str, str] = {
    "TA0043": "Reconnaissance",
    "TA0042": "Resource Development",
    "TA0001": "Initial Access",
    "TA0002": "Execution",
    "TA0003": "Persistence",
    "TA0004": "Privilege Escalation",
    "TA0005": "Defense Evasion",
    "TA0006": "Credential Access",
    "TA0007": "Discovery",
    "TA0008": "Lateral Movement",
    "TA0009": "Collection",
    "TA0011": "Command and Control",
    "TA0010": "Exfiltration",
    "TA0040": "Impact",
}

TECHNIQUES: dict[str, str] = {
    "T1005": "Data from Local System",
    "T1014": "Rootkit",
    "T1020": "Automated Exfiltration",
    "T1021": "Remote Services",
    "T1021.004": "Remote Services: SSH",
    "T1040": "Network Sniffing",
    "T1046": "Network Service Discovery",
    "T1053": "Scheduled Task/Job",
    "T1053.003": "Scheduled Task/Job: Cron",
    "T1055": "Process Injection",
    "T1055.008": "Process Injection: Ptrace System Calls",
    "T1059": "Command and Scripting Interpreter",
    "T1059.004": "Command and Scripting Interpreter: Unix Shell",
    "T1070": "Indicator Removal",
    "T1070.002": "Indicator Removal: Clear Linux or Mac System Logs",
    "T1070.003": "Indicator Removal: Clear Command History",
    "T1072": "Software Deployment Tools",
    "T1078": "Valid Accounts",
    "T1083": "File and Directory Discovery",
    "T1098": "Account Manipulation",
    "T1098.004": "Account Manipulation: SSH Authorized Keys",
    "T1105": "Ingress Tool Transfer",
    "T1132": "Data Encoding",
    "T1190": "Exploit Public-Facing Application",
    "T1195": "Supply Chain Compromise",
    "T1195.002": "Supply Chain Compromise: Compromise Software Supply Chain",
    "T1204": "User Execution",
    "T1205": "Traffic Signaling",
    "T1205.001": "Traffic Signaling: Port Knocking",
    "T1222": "File and Directory Permissions Modification",
    "T1222.002": "File and Directory Permissions Modification: Linux and Mac "
    "File and Directory Permissions Modification",
    "T1485": "Data Destruction",
    "T1490": "Inhibit System Recovery",
    "T1496": "Resource Hijacking",
    "T1498": "Network Denial of Service",
    "T1505": "Server Software Component",
    "T1505.003": "Server Software Component: Web Shell",
    "T1543": "Create or Modify System Process",
    "T1546": "Event Triggered Execution",
    "T1546.004": "Event Triggered Execution: Unix Shell Configuration Modification",
    "T1547.006": "Boot or Logon Autostart Execution: Kernel Modules and Extensions",
    "T1548": "Abuse Elevation Control Mechanism",
    "T1548.001": "Abuse Elevation Control Mechanism: Setuid and Setgid",
    "T1548.003": "Abuse Elevation Control Mechanism: Sudo and Sudo Caching",
    "T1552": "Unsecured Credentials",
    "T1552.001": "Unsecured Credentials: Credentials In Files",
    "T1552.005": "Unsecured Credentials: Cloud Instance Metadata API",
    "T1555": "Credentials from Password Stores",
    "T1556": "Modify Authentication Process",
    "T1557": "Adversary-in-the-Middle",
    "T1557.002": "Adversary-in-the-Middle: ARP Cache Poisoning",
    "T1562": "Impair Defenses",
    "T1564": "Hide Artifacts",
    "T1564.001": "Hide Artifacts: Hidden Files and Directories",
    "T1565": "Data Manipulation",
    "T1567": "Exfiltration Over Web Service",
    "T1567.002": "Exfiltration Over Web Service: Exfiltration to Cloud Storage",
    "T1609": "Container Administration Command",
    "T1610": "Deploy Container",
    "T1611": "Escape to Host",
    "T1613": "Container and Resource Discovery",
    "T1620": "Reflective Code Loading",
    "T1622": "Debugger Evasion",
}

# Falco's own tactic tag spellings (mitre_<name>) mapped to tactic ids.
_FALCO_TACTICS = {
    "reconnaissance": "TA0043",
    "resource_development": "TA0042",
    "initial_access": "TA0001",
    "execution": "TA0002",
    "persistence": "TA0003",
    "privilege_escalation": "TA0004",
    "defense_evasion": "TA0005",
    "credential_access": "TA0006",
    "discovery": "TA0007",
    "lateral_movement": "TA0008",
    "collection": "TA0009",
    "command_and_control": "TA0011",
    "exfiltration": "TA0010",
    "impact": "TA0040",
}

# Tags named after a technique instead of a tactic (the GCP rules use one).
_FALCO_TECHNIQUE_TAGS = {"data_destruction": "T1485"}

_ID_TAG = re.compile(r"^(TA\d{4}|T\d{4}(?:\.\d{3})?)(?:[-_ ].*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MitreRef:
    """One ATT&CK tactic or technique named by an alert tag."""

    id: str
    """ATT&CK id such as ``TA0004`` or ``T1055.008``."""
    name: str
    """ATT&CK name, or the tag text when the id is not in this table."""
    kind: str
    """``tactic`` or ``technique``."""
    tag: str
    """The tag as written in the alert."""

    @property
    def url(self) -> str:
        """The ATT&CK page of this id."""
        if self.kind == "tactic":
            return f"https://attack.mitre.org/tactics/{self.id}/"
        return f"https://attack.mitre.org/techniques/{self.id.replace('.', '/')}/"


def mitre_refs(tags: object) -> list[MitreRef]:
    """Parse the ATT&CK tags among ``tags``: tactics first, then techniques.

    Each id appears once. Tags that are not ATT&CK references are ignored.
    """
    if not isinstance(tags, (list, tuple, set, frozenset)):
        return []

    found: dict[str, MitreRef] = {}
    for tag in tags:
        if not isinstance(tag, str):
            continue
        ref = _parse_tag(tag.strip())
        if ref is not None and ref.id not in found:
            found[ref.id] = ref

    tactics = [ref for ref in found.values() if ref.kind == "tactic"]
    techniques = sorted(
        (ref for ref in found.values() if ref.kind == "technique"),
        key=lambda ref: ref.id,
    )
    return tactics + techniques


def _parse_tag(tag: str) -> MitreRef | None:
    lowered = tag.lower()
    if lowered.startswith("mitre_"):
        name = lowered[len("mitre_") :]
        tactic = _FALCO_TACTICS.get(name)
        if tactic is not None:
            return MitreRef(tactic, TACTICS[tactic], "tactic", tag)
        technique = _FALCO_TECHNIQUE_TAGS.get(name)
        if technique is not None:
            return MitreRef(technique, TECHNIQUES[technique], "technique", tag)
        return None

    match = _ID_TAG.match(tag)
    if match is None:
        return None
    ref_id = match.group(1).upper()
    if ref_id.startswith("TA"):
        return MitreRef(ref_id, TACTICS.get(ref_id, tag), "tactic", tag)
    return MitreRef(ref_id, _technique_name(ref_id, tag), "technique", tag)


def _technique_name(ref_id: str, tag: str) -> str:
    name = TECHNIQUES.get(ref_id)
    if name is not None:
        return name
    parent = TECHNIQUES.get(ref_id.split(".")[0])
    if parent is not None:
        return f"{parent} (sub-technique {ref_id})"
    return tag
