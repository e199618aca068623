"""What the blackbox exporter probes: the web app, every probe of ``targets.probes``, TLS certificates."""

from __future__ import annotations

from components.rules.model import Alert, Flapping, Severity, Tier, area

CERTIFICATE_MEMORY = "1d"
"""How long the TLS alerts keep the expiry the last successful probe saw.  blackbox_exporter writes no
``probe_ssl_earliest_cert_expiry`` without a TLS answer, so a failed probe would resolve the alerts and the next one
fire them again; and a verifying probe of an expired certificate fails: with a short memory the critical alert
would resolve minutes after the certificate expired.  A day keeps it firing ("has expired")."""


def _tls(severity: Severity, name: str, days: float) -> Alert:
    return Alert(
        name=name,
        severity=severity,
        service="{{ $labels.service }}",
        expr=(f'(last_over_time(probe_ssl_earliest_cert_expiry{{job=~"[[probe_jobs]]"}}[{CERTIFICATE_MEMORY}]) '
              "- time()) / 86400\n< [[threshold]]"),
        for_="0m",
        summary="TLS certificate of {{ $labels.instance }} expires in less than [[threshold]] days",
        description=(
            "The TLS certificate served at {{ $labels.instance }} {{ if lt $value 0.0 }}has expired{{ else }}"
            'expires in {{ printf "%.1f" $value }} days{{ end }} (threshold [[threshold]] days; as last seen by a '
            "successful probe within a day)."
        ),
        threshold=days,
        threshold_kind="days",
        direction="below",
        identity=("job", "instance"),
    )


AREA = area(
    "probes",
    Alert(
        name="WebServiceDown",
        severity="critical",
        service="web",
        expr="probe_success{[[web]]} == 0",
        for_="2m",
        summary="Internet-ID web app down",
        description=(
            "The HTTP probe of the web app at {{ $labels.instance }} ({{ $labels.environment }}) has failed "
            "for [[for]]: no answer or a non-2xx status."
        ),
        identity=("job", "instance"),
        flapping=Flapping(state="probe_success{[[web]]}", subject="The web app at {{ $labels.instance }}"),
    ),
    Alert(
        name="ProbeFailed",
        severity="warning",
        service="{{ $labels.service }}",
        expr='probe_success{[[probes]], module!="[[blockchain_module]]"} == 0\nunless\n[[health_verdict]]',
        for_="5m",
        summary="Probe of {{ $labels.instance }} failing",
        description=(
            "The blackbox probe of {{ $labels.instance }} ({{ $labels.environment }}) has failed for [[for]]: "
            "no answer, a TLS error or a non-2xx status (an HTTP answer of /api/health other than 200 is "
            "ServiceHealthDegraded instead)."
        ),
        identity=("job", "instance", "module"),
        flapping=Flapping(state='probe_success{[[probes]], module!="[[blockchain_module]]"}',
                          subject="The blackbox probe of {{ $labels.instance }}"),
    ),
    Tier(_tls("warning", "TLSCertificateExpiringSoon", 14), _tls("critical", "TLSCertificateExpiryCritical", 3)),
)
