"""The fleet benchmark's stand-in and configuration, without daemons (part of the quick run).

The exposition below is written for these tests in the shapes node_exporter and cAdvisor use (a per-CPU
counter, a machine's identity in labels, a moving gauge, a histogram, cAdvisor's timestamped container series);
the benchmark itself replays real scrapes taken at run time.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from components.config_source import settings_from_stack_file
from components.documents import PROMETHEUS_CONFIG, PROMETHEUS_RULES_DIR
from tests.benchmarks.fleet import capture, run
from tests.benchmarks.fleet.config import FLEET_JOBS, HOST_LABEL, SELF_JOB, fleet_config
from tests.benchmarks.fleet.exposition import ExpositionError, keep_samples, parse, parse_sample
from tests.benchmarks.fleet.replay import Capture, HostReplay, host_factor, host_names, template
from tests.tools import run_tool

CONTAINER = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
MACHINE_ID = "0123456789abcdef0123456789abcdef"
BOOT_ID = "6c1c56e2-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
MAC = "02:42:ac:11:00:02"


def _exposition(cpu: float, memory: int, requests: int, stamp: int, container_cpu: float) -> str:
    return f"""# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{{cpu="0",mode="idle"}} {cpu:.2f}
node_cpu_seconds_total{{cpu="0",mode="user"}} 12.5
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes {memory}
# HELP node_uname_info Labeled system information as provided by the uname system call.
# TYPE node_uname_info gauge
node_uname_info{{machine="x86_64",nodename="captured-box",release="6.1.0"}} 1
# HELP node_network_info Non-numeric data from /sys/class/net/<iface>.
# TYPE node_network_info gauge
node_network_info{{address="{MAC}",broadcast="ff:ff:ff:ff:ff:ff",device="eth0"}} 1
node_network_info{{address="00:00:00:00:00:00",broadcast="00:00:00:00:00:00",device="lo"}} 1
# HELP machine_memory_bytes Amount of memory installed on the machine.
# TYPE machine_memory_bytes gauge
machine_memory_bytes{{boot_id="{BOOT_ID}",machine_id="{MACHINE_ID}",system_uuid="{BOOT_ID.upper()}"}} 2.5e+10
# HELP http_request_duration_seconds A histogram with an escaped label.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{{handler="/a \\"b\\"",le="0.1"}} {requests}
http_request_duration_seconds_bucket{{handler="/a \\"b\\"",le="+Inf"}} {requests + 3}
http_request_duration_seconds_sum{{handler="/a \\"b\\""}} {requests * 0.05:.3f}
http_request_duration_seconds_count{{handler="/a \\"b\\""}} {requests + 3}
# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{{quantile="0.5"}} 2.5e-05
go_gc_duration_seconds_sum 0.0125
go_gc_duration_seconds_count 420
# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{{cpu="total",id="/docker/{CONTAINER}",image="app:1",name="api-1"}} \
{container_cpu:.9f} {stamp}
# HELP machine_nvm_capacity NVM capacity value labeled by NVM mode.
# TYPE machine_nvm_capacity gauge
machine_nvm_capacity{{mode="app_direct_mode"}} 0
machine_nvm_capacity{{mode="memory_mode"}} NaN
"""


CAPTURE = Capture(
    exporter="node-exporter",
    first=_exposition(cpu=1000.0, memory=4_000_000_000, requests=100, stamp=1_700_000_000_000, container_cpu=5.0),
    second=_exposition(cpu=1015.0, memory=3_990_000_000, requests=130, stamp=1_700_000_016_000,
                       container_cpu=6.6),
    interval=15.0, hostname="captured-box", stamp_period=15.0)
ORIGIN = 1_800_000_000.0


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, float | None]]:
    """(name, labels) -> (value, timestamp) by prometheus_client's parser, independent of ours."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            stamp = None if sample.timestamp is None else float(sample.timestamp)
            found[(sample.name, tuple(sorted(sample.labels.items())))] = (sample.value, stamp)
    return found


@pytest.fixture(scope="module")
def replays() -> dict[str, HostReplay]:
    shape = template(CAPTURE)
    return {host: HostReplay(shape, host, ORIGIN) for host in host_names(3)}


def test_every_host_writes_the_exposition_format_with_every_sample(replays: dict[str, HostReplay]) -> None:
    captured = _samples(CAPTURE.first)
    for replay in replays.values():
        text = replay.exposition(ORIGIN + 40)
        assert len(_samples(text)) == len(captured) == 17
        assert [f.name for f in parse(text)] == [f.name for f in parse(CAPTURE.first)]
        assert [f.type for f in parse(text)] == [f.type for f in parse(CAPTURE.first)]


def test_each_hosts_series_are_distinct_where_real_hosts_differ(replays: dict[str, HostReplay]) -> None:
    per_host = {host: set(_samples(replay.exposition(ORIGIN + 40))) for host, replay in replays.items()}
    identities = {CONTAINER, MACHINE_ID, BOOT_ID, BOOT_ID.upper(), MAC, "captured-box"}
    first, second, third = per_host.values()
    for one, other in ((first, second), (second, third), (first, third)):
        differing = one - other
        assert {name for name, _ in differing} == {"node_uname_info", "node_network_info", "machine_memory_bytes",
                                                   "container_cpu_usage_seconds_total"}
    for host, series in per_host.items():
        values = {value for _, labels in series for _, value in labels}
        assert not values & identities, f"{host} kept the captured machine's identity"
        assert ("node_uname_info", (("machine", "x86_64"), ("nodename", host), ("release", "6.1.0"))) in series
        assert ("node_network_info", (("address", "00:00:00:00:00:00"), ("broadcast", "00:00:00:00:00:00"),
                                      ("device", "lo"))) in series, "loopback's address is every host's"
    container_ids = [dict(labels)["id"] for series in per_host.values() for name, labels in series
                     if name == "container_cpu_usage_seconds_total"]
    assert len(set(container_ids)) == 3
    assert all(len(i) == len(f"/docker/{CONTAINER}") and i.startswith("/docker/") for i in container_ids)


def test_counters_grow_at_the_captured_rate_times_the_hosts_factor(replays: dict[str, HostReplay]) -> None:
    key = ("node_cpu_seconds_total", (("cpu", "0"), ("mode", "idle")))
    for host, replay in replays.items():
        early, late = (_samples(replay.exposition(ORIGIN + t))[key][0] for t in (10, 70))
        assert late - early == pytest.approx(60 * 1.0 * host_factor(host), abs=0.011)  # 15s of CPU in 15s
        assert str(late).split(".")[-1] == str(round(late, 2)).split(".")[-1], "two decimals, as captured"
    idle = {host: _samples(r.exposition(ORIGIN + 70))[key][0] for host, r in replays.items()}
    assert len(set(idle.values())) == 3, "hosts' counters differ"
    user = ("node_cpu_seconds_total", (("cpu", "0"), ("mode", "user")))
    assert {_samples(r.exposition(ORIGIN + 70))[user][0] for r in replays.values()} == \
        {round(12.5 * host_factor(host), 1) for host in replays}, "a counter that did not move stays put (one decimal)"
    bucket = ("http_request_duration_seconds_bucket", (("handler", '/a "b"'), ("le", "0.1")))
    replay = replays["host01"]
    assert _samples(replay.exposition(ORIGIN + 100))[bucket][0] == round((100 + 2 * 100) * host_factor("host01"))


def test_gauges_swing_when_they_moved_and_keep_their_value_otherwise(replays: dict[str, HostReplay]) -> None:
    memory = ("node_memory_MemAvailable_bytes", ())
    swing = 10_000_000 * max(host_factor(h) for h in replays)
    values = [_samples(replays["host02"].exposition(ORIGIN + t))[memory][0] for t in range(0, 300, 10)]
    assert all(abs(v - 4_000_000_000) <= swing for v in values)
    assert len(set(values)) > 10
    assert all(float(v).is_integer() for v in values)
    for replay in replays.values():
        text = replay.exposition(ORIGIN + 123)
        found = _samples(text)
        assert found[("machine_nvm_capacity", (("mode", "app_direct_mode"),))][0] == 0
        assert math.isnan(found[("machine_nvm_capacity", (("mode", "memory_mode"),))][0])
        assert found[("go_gc_duration_seconds", (("quantile", "0.5"),))][0] == 2.5e-05


def test_timestamped_samples_repeat_until_the_hosts_next_tick(replays: dict[str, HostReplay]) -> None:
    replay = replays["host03"]
    key = next(k for k in _samples(replay.exposition(ORIGIN)) if k[0] == "container_cpu_usage_seconds_total")
    tick = replay.last_stamp(ORIGIN + 100)
    within = [_samples(replay.exposition(tick + offset))[key] for offset in (0.0, 7.0, 14.9)]
    assert len(set(within)) == 1
    value, stamp = within[0]
    assert stamp == pytest.approx(tick, abs=0.001)
    after_value, after_stamp = _samples(replay.exposition(tick + 15.0))[key]
    assert after_stamp == pytest.approx(tick + 15, abs=0.001)
    assert after_value - value == pytest.approx(0.1 * 15 * host_factor("host03"), abs=1e-6)  # 1.6s in 16s


def test_a_line_that_is_not_the_exposition_format_is_named() -> None:
    with pytest.raises(ExpositionError, match="line 3: bad label"):
        parse_sample('up{job="a",bad} 1', 3)
    with pytest.raises(ExpositionError, match="bad value"):
        parse_sample("up one", 1)
    assert parse_sample('up{job="a\\\\b\\n"} 1 1700000000000').labels == (("job", "a\\b\n"),)


def test_host_names_sort_in_order() -> None:
    assert host_names(3) == ["host01", "host02", "host03"]
    assert host_names(100)[-1] == "host100" and host_names(100)[0] == "host001"


def test_the_fleet_config_spreads_the_per_host_jobs_and_keeps_the_stacks_settings(tmp_path: Path) -> None:
    settings = settings_from_stack_file("prod")
    documents = run.stack_documents(settings)
    rendered = yaml.safe_load(documents[PROMETHEUS_CONFIG])
    text = fleet_config(documents[PROMETHEUS_CONFIG], hosts=host_names(10),
                        standins={"node-exporter": "127.0.0.1:1001", "cadvisor": "127.0.0.1:1002"},
                        itself="127.0.0.1:1003", store_write_url="http://127.0.0.1:1004/api/v1/write")
    config = yaml.safe_load(text)
    assert config["global"] == rendered["global"] and config["rule_files"] == rendered["rule_files"]
    assert config["remote_write"] == [{"name": "store", "url": "http://127.0.0.1:1004/api/v1/write"}]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == [*FLEET_JOBS, SELF_JOB]
    for name, port in (("node-exporter", "9100"), ("cadvisor", "8080")):
        groups = jobs[name]["static_configs"]
        assert [g["labels"][HOST_LABEL] for g in groups] == host_names(10)
        assert {g["labels"]["instance"] for g in groups} == {f"{h}:{port}" for h in host_names(10)}
        assert all(g["labels"]["__param_host"] == g["labels"][HOST_LABEL] for g in groups)
        rendered_job = next(j for j in rendered["scrape_configs"] if j["job_name"] == name)
        assert all(g["labels"].items() >= rendered_job["static_configs"][0]["labels"].items() for g in groups)
    assert "basic_auth" not in jobs[SELF_JOB]
    (tmp_path / "prometheus.yml").write_text(text)
    for path, body in documents.items():
        if path.startswith(PROMETHEUS_RULES_DIR):
            (tmp_path / "rules").mkdir(exist_ok=True)
            (tmp_path / "rules" / Path(path).name).write_text(body)
    checked = run_tool("promtool", "check", "config", tmp_path / "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_captures_run_the_exporters_with_the_stacks_flags(tmp_path: Path) -> None:
    settings = settings_from_stack_file("prod")
    node = capture.node_exporter_command(settings, "/bin/node_exporter", listen="127.0.0.1:9", textfile_dir=tmp_path)
    assert {"--collector.processes", "--collector.interrupts", "--collector.tcpstat"} <= set(node)
    assert not [flag for flag in node if flag.startswith("--path.rootfs")]
    assert node.count("--web.listen-address=127.0.0.1:9") == 1
    advisor = capture.cadvisor_command(settings, "/bin/cadvisor", port=9, docker_host="unix:///x.sock")
    assert {"--docker_only=true", "--store_container_labels=false", "--docker=unix:///x.sock"} <= set(advisor)
    assert capture.housekeeping_interval(settings) == 15
    assert capture.capture_interval(settings) == 35
    assert len(capture.typical_containers(settings)) == 13


@pytest.mark.parametrize(("value", "message"), [("1,x", "host counts"), ("0", "at least 1"), (",", "host counts")])
def test_a_bad_fleet_size_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv(run.SIZES_ENV, value)
    with pytest.raises(run.SettingError, match=f"{run.SIZES_ENV}=.*{message}"):
        run.sizes_from_env()


def test_the_captures_keep_what_a_typical_host_has() -> None:
    text = """# TYPE node_network_up gauge
node_network_up{device="eth0"} 1
node_network_up{device="veth-of-another-engine"} 1
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e+11
node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/tmp/another-engine/data"} 1e+09
# TYPE container_network_receive_bytes_total counter
container_network_receive_bytes_total{id="/",interface="veth-of-another-engine"} 5 1700000000000
container_network_receive_bytes_total{id="/",interface="eth0"} 7 1700000000000
"""
    kept = keep_samples(text, capture.on_typical_host({"veth-of-another-engine"}))
    assert [(s.name, dict(s.labels).get("device") or dict(s.labels)["interface"])
            for f in parse(kept) for s in f.samples] == [
        ("node_network_up", "eth0"), ("node_filesystem_size_bytes", "/dev/sda1"),
        ("container_network_receive_bytes_total", "eth0")]
    assert kept.count("# TYPE") == 3
