#!/usr/bin/python3
"""bench/dataplane: meshtwin's proxies against a direct connection and haproxy doing the same jobs.

In one run, on loopback, at the same open-loop load (meshtwin-load: 1,000 rps of 1 KiB HTTP/1.1
POSTs over 4 keep-alive connections to meshtwin-app answering 1 KiB):
  direct   client -> app (the floor)
  ztunnel  client -> ztunnel (client node) -> HBONE mTLS -> ztunnel (server node) -> app
  haproxy  client -> haproxy (mode tcp) -> TLS 1.3 with a client certificate -> haproxy -> app
  waypoint client -> ztunnel -> HBONE -> waypoint (L7) -> HBONE -> ztunnel -> app
  haproxy-http  client -> haproxy (mode http) -> app: an HTTP proxy doing less than the waypoint
           (no mTLS on either side), the peer for the waypoint's own process
  sidecar  client -> sidecar -> HBONE mTLS -> sidecar -> app (peer: the haproxy TLS pair)
and reports, per proxy process, CPU in vCPU (utime+stime from /proc/PID/stat over the measured
window / the window's wall time), VmRSS and VmHWM, and latency added over direct; then holds
10,000 idle client connections (10,000 HBONE streams) through a fresh ztunnel pair and reports
their RSS. Writes bench/results/dataplane.json and prints a table.

A case is a function that starts its proxies and returns the address to load and the processes
to measure (CASES below).
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "bench" / "dataplane" / "scenario.yaml"
SCENARIO_WAYPOINT = ROOT / "bench" / "dataplane" / "scenario-waypoint.yaml"
SCENARIO_SIDECAR = ROOT / "bench" / "dataplane" / "scenario-sidecar.yaml"

# Istio's published ambient figures (istio.io, "Ambient mode performance", 1.24: 1,000 rps of
# 1 KB over 4 connections) and the targets of issue 4.
ISTIO_ZTUNNEL_VCPU = 0.06
ISTIO_WAYPOINT = {"vcpu": 0.25, "rss_mb": 60.0}
ISTIO_SIDECAR = {"vcpu": 0.20, "rss_mb": 60.0}
TARGETS = {"ztunnel_vcpu": 0.03, "ztunnel_rss_mb": 12.0, "ztunnel_added_p99_ms": 0.10, "idle_rss_mb": 40.0,
           "waypoint_vcpu": 0.12, "waypoint_rss_mb": 30.0, "sidecar_vcpu": 0.10, "sidecar_rss_mb": 30.0}


def fail(what, obj, cause, hint=""):
    sys.exit(f"bench/dataplane: {what}: {obj}: {cause}" + (f"; {hint}" if hint else ""))


def free_port():
    """A port the kernel just handed out; haproxy needs fixed ports in its configuration."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what, limit_s=20.0):
    """Polls `condition` every 10 ms for at most limit_s; returns its value or exits."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    fail("wait", what, f"not true after {limit_s:.0f} s", "see the logs in the work directory (--keep)")


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


class Proc:
    """A child process with its output in a log file; stopped with SIGTERM."""

    def __init__(self, name, args, workdir):
        self.name = name
        self.log = workdir / f"{name.replace(' ', '-').replace('/', '_')}.log"
        with open(self.log, "w") as out:
            self.p = subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def check_alive(self):
        if self.p.poll() is not None:
            fail("run", self.name, f"exited with {self.p.returncode}", f"log: {self.log}: {self.log.read_text()[-2000:]}")


def cpu_seconds(pid):
    """utime + stime of a process, seconds (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def mb(kib):
    return kib * 1024 / 1e6


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.work = workdir
        build = Path(args.build)
        self.meshtwin = build / "sim" / "cli" / "meshtwin"
        self.proxy = build / "dataplane" / "meshtwin-proxy"
        self.load = build / "dataplane" / "meshtwin-load"
        self.app_bin = build / "dataplane" / "meshtwin-app"
        for b in (self.meshtwin, self.proxy, self.load, self.app_bin):
            if not b.exists():
                fail("find program", b, "missing", f"build it: ninja -C {build}")
        self.procs = []
        self.app = None
        self.app_addr = None

    def start(self, name, cmd):
        p = Proc(name, cmd, self.work)
        self.procs.append(p)
        return p

    def cli(self, *cmd):
        r = subprocess.run([str(self.meshtwin), *map(str, cmd)], capture_output=True, text=True)
        if r.returncode != 0:
            fail("meshtwin " + " ".join(map(str, cmd[:2])), SCENARIO, r.stderr.strip())

    def start_app(self):
        port_file = self.work / "app.port"
        self.app = self.start("meshtwin-app", [self.app_bin, "--listen", "127.0.0.1:0", "--response-size",
                                                self.args.size, "--port-file", port_file])
        self.app_addr = wait_for(lambda: port_file.exists() and port_file.read_text().strip(), "meshtwin-app port file")

    # ---- the ztunnel pair, as a user would run it: CA, node identities, snapshot, two processes
    def ztunnel_pair(self, tag):
        ca = self.work / "ca"
        if not ca.exists():
            self.cli("ca", "init", ca)
        nodes = ["p-a-0", "p-b-0"]
        for node in nodes:
            self.cli("ca", "issue", SCENARIO, "--ca", ca, "--node", node, "--out", self.work / f"id-{node}")
        addresses = {"pod_app": {"bench/server-0": self.app_addr}}
        addr_file = self.work / f"addresses-{tag}.json"
        snapshot = self.work / f"snapshot-{tag}.json"
        addr_file.write_text(json.dumps(addresses))
        self.cli("snapshot", SCENARIO, "--addresses", addr_file, "-o", snapshot)
        procs, ports = {}, {}
        for node in nodes:
            ports[node] = self.work / f"ports-{tag}-{node}.json"
            procs[node] = self.start(f"ztunnel {node} {tag}", [
                *self.args.wrap.split(), self.proxy, "ztunnel", "--node", node, "--snapshot", snapshot, "--identity", self.work / f"id-{node}",
                "--metrics-port", "0", "--readiness-port", "0", "--admin-port", "0", "--ports-file", ports[node],
                "--log-level", "warn"])

        def at_version(v):
            return lambda: all((read_json(ports[n]) or {}).get("snapshot_version") == v for n in nodes)

        wait_for(at_version(1), "ztunnels at snapshot version 1")
        # The second version tells each ztunnel where the other serves HBONE for its pods.
        addresses["pod_hbone"] = {}
        for node in nodes:
            addresses["pod_hbone"].update(read_json(ports[node])["inbound"])
        addr_file.write_text(json.dumps(addresses))
        self.cli("snapshot", SCENARIO, "--addresses", addr_file, "-o", snapshot)
        wait_for(at_version(2), "ztunnels at snapshot version 2")
        client = read_json(ports["p-a-0"])
        if not client["ready"]:
            fail("start ztunnel", "p-a-0", "not ready", (self.work / "ztunnel-p-a-0.log").name)
        target = client["outbound"]["bench/client-0|bench/server"]
        return target, {f"ztunnel {n}": procs[n] for n in nodes}, client["admin"]

    # ---- a mesh of several proxies: ztunnels per node, then waypoint and sidecar pods
    def mesh(self, tag, scenario, ztunnel_nodes, pods):
        """pods: [(kind, pod, node)] with kind waypoint|sidecar. Returns (ports by name, procs by name)."""
        ca = self.work / "ca"
        if not ca.exists():
            self.cli("ca", "init", ca)
        nodes = sorted(set(ztunnel_nodes) | {n for _, _, n in pods})
        for node in nodes:
            self.cli("ca", "issue", scenario, "--ca", ca, "--node", node, "--out", self.work / f"id-{tag}-{node}")
        addresses = {"pod_app": {"bench/server-0": self.app_addr}, "service_vip": {"bench/server": "10.96.0.10:80"}}
        addr_file = self.work / f"addresses-{tag}.json"
        snapshot = self.work / f"snapshot-{tag}.json"
        addr_file.write_text(json.dumps(addresses))
        self.cli("snapshot", scenario, "--addresses", addr_file, "-o", snapshot)
        members = [("ztunnel", n, n) for n in ztunnel_nodes] + list(pods)
        procs, ports = {}, {}
        for kind, name, node in members:
            ports[name] = self.work / f"ports-{tag}-{name.replace('/', '_')}.json"
            extra = ["--hbone-port", "0"] if kind != "ztunnel" else []
            procs[f"{kind} {name}"] = self.start(f"{kind} {name} {tag}", [
                *self.args.wrap.split(), self.proxy, kind, "--node", name, "--snapshot", snapshot, "--identity", self.work / f"id-{tag}-{node}",
                "--metrics-port", "0", "--readiness-port", "0", "--admin-port", "0", "--ports-file", ports[name],
                "--log-level", "warn", *extra])

        def at_version(v):
            return lambda: all((read_json(ports[n]) or {}).get("snapshot_version") == v for _, n, _ in members)

        wait_for(at_version(1), f"{tag} proxies at snapshot version 1")
        # The second version says where each pod's HBONE endpoint is.
        addresses["pod_hbone"] = {}
        for kind, name, _ in members:
            pj = read_json(ports[name])
            if kind == "ztunnel":
                addresses["pod_hbone"].update(pj["inbound"])
            elif kind == "waypoint":
                addresses["pod_hbone"][name] = pj["hbone"]
            else:
                addresses["pod_hbone"][name] = pj["inbound"]
        addr_file.write_text(json.dumps(addresses))
        self.cli("snapshot", scenario, "--addresses", addr_file, "-o", snapshot)
        wait_for(at_version(2), f"{tag} proxies at snapshot version 2")
        return {n: read_json(ports[n]) for _, n, _ in members}, procs

    def case_waypoint(self):
        ports, procs = self.mesh("waypoint", SCENARIO_WAYPOINT, ["p-a-0", "p-b-0"], [("waypoint", "bench/wp-0", "p-b-0")])
        return ports["p-a-0"]["outbound"]["bench/client-0|bench/server"], procs

    def case_sidecar(self):
        ports, procs = self.mesh("sidecar", SCENARIO_SIDECAR, [],
                                 [("sidecar", "bench/client-0", "p-a-0"), ("sidecar", "bench/server-0", "p-b-0")])
        return ports["bench/client-0"]["outbound"]["bench/server"], procs

    def case_haproxy_http(self):
        if not shutil.which(self.args.haproxy):
            return None
        front = free_port()
        cfg = self.work / "haproxy-http.cfg"
        cfg.write_text("global\n  nbthread 1\n  maxconn 1000\n"
                       "defaults\n  mode http\n  option http-keep-alive\n  http-reuse always\n"
                       "  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n"
                       f"frontend web\n  bind 127.0.0.1:{front}\n  default_backend app\n"
                       f"backend app\n  server app {self.app_addr}\n")
        procs = {"haproxy http": self.start("haproxy http", [self.args.haproxy, "-db", "-f", cfg])}

        def up():
            procs["haproxy http"].check_alive()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", front)) == 0

        wait_for(up, "haproxy (http) listening")
        return f"127.0.0.1:{front}", procs

    def case_direct(self):
        return self.app_addr, {}

    def case_ztunnel(self):
        target, procs, _ = self.ztunnel_pair("load")
        return target, procs

    def case_haproxy(self):
        if not shutil.which(self.args.haproxy):
            return None
        ca = self.work / "ca"
        if not ca.exists():
            self.cli("ca", "init", ca)
        # The same identities the ztunnels use, as haproxy wants them: certificate + key in one file.
        for node in ("p-a-0", "p-b-0"):
            self.cli("ca", "issue", SCENARIO, "--ca", ca, "--node", node, "--out", self.work / f"id-{node}")
        pems = {}
        for node, sa in (("p-a-0", "client"), ("p-b-0", "server")):
            d = self.work / f"id-{node}" / "bench"
            pems[sa] = self.work / f"haproxy-{sa}.pem"
            pems[sa].write_text((d / f"{sa}.crt").read_text() + (d / f"{sa}.key").read_text())
        root = self.work / "id-p-a-0" / "root.pem"
        front, tunnel = free_port(), free_port()
        common = ("global\n  nbthread 1\n  maxconn 1000\n"
                  "  ssl-default-bind-options ssl-min-ver TLSv1.3\n  ssl-default-server-options ssl-min-ver TLSv1.3\n"
                  "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n")
        server_cfg = self.work / "haproxy-server.cfg"
        server_cfg.write_text(common + f"frontend tunnel_in\n  bind 127.0.0.1:{tunnel} ssl crt {pems['server']} "
                              f"ca-file {root} verify required\n  default_backend app\n"
                              f"backend app\n  server app {self.app_addr}\n")
        client_cfg = self.work / "haproxy-client.cfg"
        client_cfg.write_text(common + f"frontend out\n  bind 127.0.0.1:{front}\n  default_backend tunnel\n"
                              f"backend tunnel\n  server peer 127.0.0.1:{tunnel} ssl crt {pems['client']} "
                              f"ca-file {root} verify required\n")
        # No verifyhost: the certificates carry a SPIFFE URI, no DNS name, so haproxy checks the
        # chain to the mesh root on both sides (the ztunnel also checks the URI).
        procs = {"haproxy server-side": self.start("haproxy server", [self.args.haproxy, "-db", "-f", server_cfg]),
                 "haproxy client-side": self.start("haproxy client", [self.args.haproxy, "-db", "-f", client_cfg])}

        def listening(port):
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        def up():
            for p in procs.values():
                p.check_alive()
            return listening(front) and listening(tunnel)

        wait_for(up, "haproxy listening")
        return f"127.0.0.1:{front}", procs

    # ---- one measured load run through `target`
    def measure(self, name, target, procs):
        out = self.work / f"load-{name}.json"
        a = self.args
        load = Proc(f"load {name}", [self.load, "--target", target, "--rps", a.rps, "--connections", a.connections,
                                     "--size", a.size, "--duration", f"{a.duration}s", "--warmup", f"{a.warmup}s",
                                     "--timetable", a.timetable, "--json", out], self.work)
        time.sleep(a.warmup)  # the measured window starts when the warm-up ends
        t0 = time.monotonic()
        cpu0 = {n: cpu_seconds(p.pid) for n, p in procs.items()}
        time.sleep(a.duration)
        t1 = time.monotonic()
        cpu1 = {n: cpu_seconds(p.pid) for n, p in procs.items()}
        mem = {n: memory_kib(p.pid) for n, p in procs.items()}
        load.p.wait()
        if load.p.returncode != 0:
            fail("load", name, f"meshtwin-load exited with {load.p.returncode}", load.log.read_text()[-2000:])
        for p in procs.values():
            p.check_alive()
        result = read_json(out)
        result["proxies"] = {n: {"vcpu": (cpu1[n] - cpu0[n]) / (t1 - t0), "cpu_s": cpu1[n] - cpu0[n],
                                 "window_s": t1 - t0, "vm_rss_kib": mem[n]["VmRSS"], "vm_hwm_kib": mem[n]["VmHWM"],
                                 "vm_rss_mb": mb(mem[n]["VmRSS"]), "vm_hwm_mb": mb(mem[n]["VmHWM"])}
                             for n in procs}
        return result

    # ---- 10,000 idle client connections -> 10,000 HBONE streams through a fresh pair
    def idle_streams(self, count):
        target, procs, admin = self.ztunnel_pair("idle")
        host, port = target.rsplit(":", 1)
        base = {n: memory_kib(p.pid) for n, p in procs.items()}
        held = []
        try:
            for _ in range(count):
                s = socket.create_connection((host, int(port)))
                held.append(s)

            def streams():
                dump = subprocess.run(["curl", "-s", f"http://{admin}/config_dump"], capture_output=True, text=True)
                try:
                    return json.loads(dump.stdout)["pool"]["streams"]
                except (ValueError, KeyError):
                    return 0

            wait_for(lambda: streams() >= count, f"{count} HBONE streams in the client ztunnel's pool", limit_s=120)
            pool = json.loads(subprocess.run(["curl", "-s", f"http://{admin}/config_dump"], capture_output=True,
                                             text=True).stdout)["pool"]
            mem = {n: memory_kib(p.pid) for n, p in procs.items()}
            for p in procs.values():
                p.check_alive()
        finally:
            for s in held:
                s.close()
        for p in procs.values():
            p.stop()
        return {"connections": count, "pool": pool,
                "proxies": {n: {"vm_rss_kib": mem[n]["VmRSS"], "vm_hwm_kib": mem[n]["VmHWM"],
                                "vm_rss_mb": mb(mem[n]["VmRSS"]), "vm_hwm_mb": mb(mem[n]["VmHWM"]),
                                "before_vm_rss_kib": base[n]["VmRSS"],
                                "per_stream_bytes": (mem[n]["VmRSS"] - base[n]["VmRSS"]) * 1024 / count}
                            for n in procs}}

    def stop_all(self):
        for p in reversed(self.procs):
            p.stop()
        self.procs = []


# name -> (what it is, method); the order is the order of the table.
CASES = {
    "direct": ("client -> app (the floor)", Bench.case_direct),
    "ztunnel": ("client -> ztunnel -> HBONE mTLS -> ztunnel -> app", Bench.case_ztunnel),
    "haproxy": ("client -> haproxy -> TLS 1.3 mTLS -> haproxy -> app", Bench.case_haproxy),
    "waypoint": ("client -> ztunnel -> HBONE -> waypoint (HTTP/1.1 inside) -> HBONE -> ztunnel -> app",
                 Bench.case_waypoint),
    "haproxy-http": ("client -> haproxy (mode http, plaintext both sides) -> app", Bench.case_haproxy_http),
    "sidecar": ("client -> sidecar -> HBONE mTLS -> sidecar -> app", Bench.case_sidecar),
}


def machine_info(build):
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cache = {}
    for line in (Path(build) / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(("CMAKE_BUILD_TYPE:", "CMAKE_CXX_FLAGS_RELEASE:", "CMAKE_CXX_COMPILER:")):
            key, _, value = line.partition("=")
            cache[key.split(":")[0]] = value
    haproxy = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.splitlines()
    return {"cpu": cpu, "nproc": os.cpu_count(), "kernel": platform.release(),
            "affinity": sorted(os.sched_getaffinity(0)), "build_type": cache.get("CMAKE_BUILD_TYPE", "unknown"),
            "cxx_flags": cache.get("CMAKE_CXX_FLAGS_RELEASE", ""), "compiler": cache.get("CMAKE_CXX_COMPILER", ""),
            "haproxy": haproxy[0] if haproxy else "not installed",
            "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
            "python": platform.python_version()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(ROOT / "build" / "bench"), help="a Release build directory")
    ap.add_argument("--rps", type=float, default=1000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--size", default="1KiB", help="request and response body")
    ap.add_argument("--duration", type=float, default=30, help="measured seconds per case")
    ap.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    ap.add_argument("--timetable", default="fixed", choices=["fixed", "poisson"])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    ap.add_argument("--idle-streams", type=int, default=10000, help="0 skips the idle-streams measurement")
    ap.add_argument("--haproxy", default="haproxy")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "dataplane.json"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs, certificates)")
    ap.add_argument("--wrap", default="", help="a command to run each meshtwin proxy under, for profiling, e.g. "
                    "'valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%%p' (figures are then not comparable)")
    args = ap.parse_args()

    machine = machine_info(args.build)
    if machine["build_type"] != "Release":
        print(f"warning: {args.build} is a {machine['build_type']} build; figures need -DCMAKE_BUILD_TYPE=Release")
    # 10,000 held connections need 10,000 descriptors in this process, the ztunnels and the app.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.idle_streams + 1024
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            fail("raise RLIMIT_NOFILE", f"{need} descriptors", f"the hard limit is {hard}",
                 "raise it (ulimit -Hn) or pass a smaller --idle-streams")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    workdir = Path(tempfile.mkdtemp(prefix="meshtwin-bench-dp-"))
    bench = Bench(args, workdir)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    print(f"bench/dataplane: {args.rps:.0f} rps, {args.connections} connections, {args.size} requests and responses, "
          f"{args.duration:.0f} s measured after {args.warmup:.0f} s warm-up, {args.timetable} timetable")
    print(f"cpu: {machine['cpu']}, nproc {machine['nproc']}, loadavg: {' '.join(load_before)}, "
          f"build: {machine['build_type']} {machine['cxx_flags']}; work dir {workdir}")
    results, idle = {}, None
    try:
        bench.start_app()
        for name in [c for c in args.cases.split(",") if c]:
            if name not in CASES:
                fail("select case", name, "unknown", "known: " + ", ".join(CASES))
            started = CASES[name][1](bench)
            if started is None:
                print(f"{name}: skipped ({args.haproxy} not installed)")
                continue
            target, procs = started
            print(f"{name}: {CASES[name][0]} ... ", end="", flush=True)
            results[name] = bench.measure(name, target, procs)
            results[name]["path"] = CASES[name][0]
            print(f"{results[name]['achieved_rps']:.0f} rps, p99 {results[name]['latency_us']['p99']:.0f} us")
            for p in procs.values():
                p.stop()
        if args.idle_streams > 0:
            print(f"idle: {args.idle_streams} held connections through a fresh ztunnel pair ... ", end="", flush=True)
            idle = bench.idle_streams(args.idle_streams)
            print("done")
    finally:
        bench.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    # Figures derived from the runs.
    derived, targets = {}, []
    direct = results.get("direct")
    for name, r in results.items():
        procs = r["proxies"]
        if procs:
            r["vcpu_per_proxy"] = sum(p["vcpu"] for p in procs.values()) / len(procs)
            r["vm_rss_mb_max"] = max(p["vm_rss_mb"] for p in procs.values())
        if direct and name != "direct":
            r["added_latency_us"] = {q: r["latency_us"][q] - direct["latency_us"][q] for q in ("p50", "p90", "p99", "p99.9")}
    zt, ha = results.get("ztunnel"), results.get("haproxy")
    if zt:
        derived["ztunnel_vcpu_vs_istio_ztunnel"] = zt["vcpu_per_proxy"] / ISTIO_ZTUNNEL_VCPU
        worst = max(p["vcpu"] for p in zt["proxies"].values())
        targets.append({"name": "ztunnel vCPU per proxy at 1000 rps", "target": TARGETS["ztunnel_vcpu"],
                        "measured": worst, "unit": "vCPU", "met": worst <= TARGETS["ztunnel_vcpu"]})
        targets.append({"name": "ztunnel RSS per proxy", "target": TARGETS["ztunnel_rss_mb"],
                        "measured": zt["vm_rss_mb_max"], "unit": "MB", "met": zt["vm_rss_mb_max"] <= TARGETS["ztunnel_rss_mb"]})
        if "added_latency_us" in zt:
            added = zt["added_latency_us"]["p99"] / 1000
            targets.append({"name": "ztunnel pair added p99 over direct", "target": TARGETS["ztunnel_added_p99_ms"],
                            "measured": added, "unit": "ms", "met": added <= TARGETS["ztunnel_added_p99_ms"]})
    if zt and ha:
        derived["ztunnel_vcpu_vs_haproxy"] = zt["vcpu_per_proxy"] / ha["vcpu_per_proxy"]
        derived["ztunnel_rss_vs_haproxy"] = zt["vm_rss_mb_max"] / ha["vm_rss_mb_max"]
        if "added_latency_us" in zt and ha["added_latency_us"]["p99"] > 0:
            derived["ztunnel_added_p50_vs_haproxy"] = zt["added_latency_us"]["p50"] / max(ha["added_latency_us"]["p50"], 1e-9)
            derived["ztunnel_added_p99_vs_haproxy"] = zt["added_latency_us"]["p99"] / ha["added_latency_us"]["p99"]
    wp, hh, sc = results.get("waypoint"), results.get("haproxy-http"), results.get("sidecar")
    if wp:
        w = next(p for n, p in wp["proxies"].items() if n.startswith("waypoint"))
        wp["waypoint_process"] = w
        derived["waypoint_vcpu_vs_istio_waypoint"] = w["vcpu"] / ISTIO_WAYPOINT["vcpu"]
        derived["waypoint_rss_vs_istio_waypoint"] = w["vm_rss_mb"] / ISTIO_WAYPOINT["rss_mb"]
        targets.append({"name": "waypoint vCPU at 1000 rps", "target": TARGETS["waypoint_vcpu"], "measured": w["vcpu"],
                        "unit": "vCPU", "met": w["vcpu"] <= TARGETS["waypoint_vcpu"]})
        targets.append({"name": "waypoint RSS", "target": TARGETS["waypoint_rss_mb"], "measured": w["vm_rss_mb"],
                        "unit": "MB", "met": w["vm_rss_mb"] <= TARGETS["waypoint_rss_mb"]})
        if hh:
            h = next(iter(hh["proxies"].values()))
            derived["waypoint_vcpu_vs_haproxy_http"] = w["vcpu"] / h["vcpu"]
            derived["waypoint_rss_vs_haproxy_http"] = w["vm_rss_mb"] / h["vm_rss_mb"]
    if sc:
        worst_cpu = max(p["vcpu"] for p in sc["proxies"].values())
        derived["sidecar_vcpu_vs_istio_sidecar"] = sc["vcpu_per_proxy"] / ISTIO_SIDECAR["vcpu"]
        derived["sidecar_rss_vs_istio_sidecar"] = sc["vm_rss_mb_max"] / ISTIO_SIDECAR["rss_mb"]
        targets.append({"name": "sidecar vCPU per pod at 1000 rps", "target": TARGETS["sidecar_vcpu"],
                        "measured": worst_cpu, "unit": "vCPU", "met": worst_cpu <= TARGETS["sidecar_vcpu"]})
        targets.append({"name": "sidecar RSS per pod", "target": TARGETS["sidecar_rss_mb"], "measured": sc["vm_rss_mb_max"],
                        "unit": "MB", "met": sc["vm_rss_mb_max"] <= TARGETS["sidecar_rss_mb"]})
        if ha:
            derived["sidecar_vcpu_vs_haproxy_tls_pair"] = sc["vcpu_per_proxy"] / ha["vcpu_per_proxy"]
    if idle:
        worst = max(p["vm_rss_mb"] for p in idle["proxies"].values())
        targets.append({"name": f"ztunnel RSS with {idle['connections']} idle HBONE streams", "target": TARGETS["idle_rss_mb"],
                        "measured": worst, "unit": "MB", "met": worst <= TARGETS["idle_rss_mb"]})

    report = {"benchmark": "dataplane", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join([sys.argv[0], *sys.argv[1:]]), "machine": machine,
              "loadavg_before": load_before, "loadavg_after": load_after,
              "load": {"rps": args.rps, "connections": args.connections, "size": args.size, "duration_s": args.duration,
                       "warmup_s": args.warmup, "timetable": args.timetable},
              "published": {"istio_ztunnel_vcpu_at_1000_rps": ISTIO_ZTUNNEL_VCPU, "istio_waypoint": ISTIO_WAYPOINT,
                            "istio_sidecar": ISTIO_SIDECAR}, "cases": results,
              "idle_streams": idle, "ratios": derived, "targets": targets}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")

    print(f"\n{'case':<12} {'rps':>6} {'err':>4} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9} {'+p50 us':>8} {'+p99 us':>8}"
          f"  {'process':<24} {'vCPU':>6} {'RSS MB':>7} {'HWM MB':>7}")
    for name, r in results.items():
        lat, add = r["latency_us"], r.get("added_latency_us", {})
        rows = list(r["proxies"].items()) or [("-", None)]
        for i, (pname, p) in enumerate(rows):
            head = (f"{name:<12} {r['achieved_rps']:>6.0f} {r['errors']:>4} {lat['p50']:>8.1f} {lat['p99']:>8.1f} "
                    f"{lat['p99.9']:>9.1f} {add.get('p50', 0):>8.1f} {add.get('p99', 0):>8.1f}") if i == 0 else " " * 69
            tail = f"  {pname:<24} {p['vcpu']:>6.3f} {p['vm_rss_mb']:>7.1f} {p['vm_hwm_mb']:>7.1f}" if p else ""
            print(head + tail)
    if idle:
        for pname, p in idle["proxies"].items():
            print(f"idle {idle['connections']} streams: {pname:<14} RSS {p['vm_rss_mb']:.1f} MB "
                  f"(+{p['per_stream_bytes']:.0f} B per stream)")
    for k, v in derived.items():
        print(f"{k}: {v:.2f}")
    for t in targets:
        print(f"target {t['name']}: {t['measured']:.3f} {t['unit']} (target <= {t['target']}): "
              f"{'met' if t['met'] else 'MISSED'}")
    print(f"loadavg after: {' '.join(load_after)}; wrote {args.json}")


if __name__ == "__main__":
    main()
