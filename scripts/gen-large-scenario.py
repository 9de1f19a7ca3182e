#!/usr/bin/env python3
"""Generate a large meshtwin scenario (apiVersion: meshtwin/v1) for scale tests.

The output is deterministic: the same flags give byte-identical files (one seeded
random.Random, no clocks, no dict-order surprises). Standard library only.

What it writes
  cluster     3 zones (us-east-1a/b/c), one node pool of m6i.4xlarge sized from the
              pods' requests with their sidecars (100m / 128Mi each), the ztunnel
              DaemonSet's requests (200m / 512Mi per node) and the waypoints, plus
              about 30% headroom.
  workloads   exactly --pods application pods in hundreds of workloads (about 16
              replicas on average, 3 to 60 each) spread over many namespaces named
              after business domains (orders, payments-2, ...; about one namespace
              per 200 pods). Workloads sit in 5 tiers (bff -> api -> svc -> worker ->
              store). Every workload below the top has a parent in the tier above (a
              fan-out tree) and some callers also reach one or two tiers down (shared
              leaves), so the call graph is a DAG. Scripts are isotope style:
              sequential calls, a concurrent group, sleeps and call probabilities,
              with an expected fan-out near 2 per hop. Service times are constant,
              exponential or lognormal. About a third of the namespaces need L7 in
              some of their services; a few workloads need an EnvoyFilter. Cost
              labels (team, cost-center) on all but about 3% of workloads
              (environment comes from `defaults:`).
  entryPoints every top-tier workload (at most 12) takes external load (constant,
              steps and burst segments), about one request per second per two pods.
  mesh        all sidecar, a mesh-wide STRICT PeerAuthentication, L4 policies by
              principals (listing every caller) on some workloads and L7 selector
              policies (methods, paths) on a few workloads in namespaces that need L7.
  plan        --waves waves moving namespaces to ambient in batches: a small canary
              batch of namespaces without L7 needs first, then the rest, those with L7
              needs last. A namespace with L7 needs gets a waypoint (3 zones, HPA),
              a namespace binding and its L7 policies moved to targetRefs in the same
              wave that enrols it. Every wave has rollout settings and gates.

To keep the file small, everything common is in the top-level `defaults:` block and a
workload only writes the fields that differ from it.

Usage
  python3 scripts/gen-large-scenario.py                       # 10,000 pods to stdout
  python3 scripts/gen-large-scenario.py --pods 10000 --seed 1 --waves 5 \\
      -o scenarios/large-10000.yaml
  ./build/dev/cli/meshtwin check scenarios/large-10000.yaml
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, field

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

# Instance type of the node pool: m6i.4xlarge, us-east-1 on-demand list price.
INSTANCE = {"type": "m6i.4xlarge", "vcpu_m": 16000, "mem_mi": 65536, "usd_per_hour": 0.768}

# Requests the model adds: the sidecar on every sidecar-mode pod, ztunnel on every node
# (istio-1.24-published profile), and a waypoint pod.
SIDECAR_M, SIDECAR_MI = 100, 128
ZTUNNEL_M, ZTUNNEL_MI = 200, 512
WAYPOINT_M, WAYPOINT_MI = 100, 128
HEADROOM = 0.30  # spare share of every node after requests

DOMAINS = [
    "accounts", "ads", "analytics", "billing", "cart", "catalog", "checkout", "content",
    "delivery", "fraud", "fulfilment", "identity", "inventory", "loyalty", "media",
    "messaging", "notifications", "orders", "payments", "pricing", "promotions", "ratings",
    "recommendations", "returns", "reviews", "search", "shipping", "support", "tax",
    "warehouse",
]

# Tiers: role name, share of workloads, service-time choices.
TIERS = [
    ("bff", 0.015),
    ("api", 0.12),
    ("svc", 0.25),
    ("worker", 0.31),
    ("store", 0.305),
]

REPLICA_CHOICES = [3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60]
REPLICA_WEIGHTS = [6, 6, 8, 8, 10, 12, 10, 10, 9, 6, 5, 4, 3, 3]

CPU_CHOICES = ["50m", "100m", "100m", "100m", "200m", "250m", "500m"]
MEM_CHOICES = ["64Mi", "128Mi", "128Mi", "128Mi", "256Mi", "512Mi"]
CPU_M = {"50m": 50, "100m": 100, "200m": 200, "250m": 250, "500m": 500}
MEM_MI = {"64Mi": 64, "128Mi": 128, "256Mi": 256, "512Mi": 512}

L7_FEATURES = ["retries", "headerRouting", "trafficSplit", "l7Authz", "jwt", "tracing"]


@dataclass
class Workload:
    name: str
    ns: str
    tier: int
    replicas: int
    cpu: str = "100m"
    mem: str = "128Mi"
    service_time: str | None = None  # flow map text, None = defaults
    request_size: str | None = None
    response_size: str | None = None
    l7: list[str] = field(default_factory=list)
    labelled: bool = True
    script: list = field(default_factory=list)  # steps: ("call", Call) | ("sleep", str) | ("group", [Call])
    callers: set = field(default_factory=set)  # indexes of calling workloads

    @property
    def key(self) -> str:
        return f"{self.ns}/{self.name}"


@dataclass
class Call:
    target: int
    probability: int = 100
    size: str | None = None


def namespace_names(count: int) -> list[str]:
    out = []
    for i in range(count):
        base = DOMAINS[i % len(DOMAINS)]
        rnd = i // len(DOMAINS)
        out.append(base if rnd == 0 else f"{base}-{rnd + 1}")
    return out


def make_workloads(rng: random.Random, pods: int, namespaces: list[str]) -> list[Workload]:
    # Replica counts that add up to exactly `pods`.
    counts = []
    left = pods
    while left > 0:
        r = rng.choices(REPLICA_CHOICES, REPLICA_WEIGHTS)[0]
        if left - r < 3:  # do not leave a remainder too small for a workload of its own
            r = left
        counts.append(r)
        left -= r
    n = len(counts)
    # Tier boundaries by share; at least one workload in every tier when possible.
    bounds, acc = [], 0.0
    for _, share in TIERS:
        acc += share
        bounds.append(acc)
    # Namespaces: a shuffled round-robin, so every namespace holds workloads of mixed tiers
    # and none is empty (namespaces are only known through their workloads).
    slots = list(range(n))
    rng.shuffle(slots)
    # About a third of the domains need L7 (routing, authz, JWT, tracing) in some services.
    l7_prone = {ns for ns in namespaces if rng.random() < 0.35}
    workloads = []
    serial = {}
    for i, r in enumerate(counts):
        frac = (i + 0.5) / n
        # The first workload is always a top-tier one, so small scenarios still get an entry point.
        tier = 0 if i == 0 else next(t for t, b in enumerate(bounds) if frac <= b + 1e-9)
        ns = namespaces[slots[i] % len(namespaces)]
        role = TIERS[tier][0]
        serial[role] = serial.get(role, 0) + 1
        w = Workload(name=f"{role}-{serial[role]:03d}", ns=ns, tier=tier, replicas=r)
        w.cpu = rng.choice(CPU_CHOICES)
        w.mem = rng.choice(MEM_CHOICES)
        kind = rng.random()
        if tier == len(TIERS) - 1:  # stores: fast and steady, or a slow tail
            w.service_time = ("{distribution: constant, mean: 500us}" if kind < 0.4 else
                              "{distribution: lognormal, mean: 1ms, p99: 8ms}")
        elif kind < 0.5:
            pass  # defaults: exponential 2ms
        elif kind < 0.85:
            mean = rng.choice([1, 2, 3, 5, 8])
            w.service_time = f"{{distribution: lognormal, mean: {mean}ms, p99: {mean * 6}ms}}"
        else:
            w.service_time = f"{{distribution: constant, mean: {rng.choice([200, 500, 800])}us}}"
        if rng.random() < 0.25:
            w.response_size = rng.choice(["256B", "4KiB", "8KiB", "16KiB"])
        if rng.random() < 0.1:
            w.request_size = rng.choice(["512B", "2KiB", "4KiB"])
        if ns in l7_prone and rng.random() < 0.4:
            w.l7 = sorted(rng.sample(L7_FEATURES, rng.choice([1, 1, 2, 3])), key=L7_FEATURES.index)
        if rng.random() < 0.006:
            w.l7 = ["envoyFilter"] + w.l7
        w.labelled = rng.random() >= 0.03
        workloads.append(w)
    return workloads


def make_scripts(rng: random.Random, ws: list[Workload]) -> None:
    """Call graph: a tree plus shared edges, always from a lower tier to a higher one.

    Every workload below the top tier gets one parent in the tier above (same namespace
    when possible), so no service is left without callers. About 15% of the callers also
    call one more service one or two tiers down, which shares leaves between branches
    (a DAG, like real call graphs). Scripts call the first child on every request and the
    others with probabilities that keep the expected fan-out near 2 per hop.
    """
    by_tier: dict[int, list[int]] = {}
    for i, w in enumerate(ws):
        by_tier.setdefault(w.tier, []).append(i)
    by_ns_tier: dict[tuple[str, int], list[int]] = {}
    for i, w in enumerate(ws):
        by_ns_tier.setdefault((w.ns, w.tier), []).append(i)
    tiers = sorted(by_tier)

    def pick(src: Workload, tier: int) -> int:
        local = by_ns_tier.get((src.ns, tier), [])
        if local and rng.random() < 0.6:
            return rng.choice(local)
        return rng.choice(by_tier[tier])

    children: dict[int, list[int]] = {i: [] for i in range(len(ws))}
    extra: dict[int, list[int]] = {i: [] for i in range(len(ws))}
    for i, w in enumerate(ws):
        above = [t for t in tiers if t < w.tier]
        if above:
            children[pick(w, above[-1])].append(i)
    for i, w in enumerate(ws):
        below = [t for t in tiers if t > w.tier]
        if not below or not children[i] or rng.random() >= 0.15:
            continue
        tier = below[0] if (len(below) == 1 or rng.random() < 0.7) else below[1]
        t = pick(w, tier)
        if t not in children[i]:
            extra[i].append(t)

    def size() -> str | None:
        return rng.choice([None, None, None, "512B", "2KiB"])

    for i, w in enumerate(ws):
        kids = children[i]
        if not kids:
            continue
        steps: list = [("call", Call(kids[0], 100, size()))]
        rest = kids[1:]
        if len(rest) == 1:
            steps.append(("call", Call(rest[0], rng.choice([30, 50, 80]), size())))
        elif rest:
            p = max(5, min(50, round(100 / len(rest))))
            steps.append(("group", [Call(k, p, size()) for k in rest]))
        if rng.random() < 0.3:
            steps.append(("sleep", rng.choice(["200us", "500us", "1ms", "2ms"])))
        for t in extra[i]:  # cache miss, audit write, ...
            steps.append(("call", Call(t, rng.choice([5, 10, 25]), size())))
        if len(steps) > 1 and rng.random() < 0.5:
            steps[0], steps[1] = steps[1], steps[0]  # not every script starts the same way
        w.script = steps
        for t in kids + extra[i]:
            ws[t].callers.add(i)


def ref(src: Workload, dst: Workload) -> str:
    return dst.name if src.ns == dst.ns else f"{dst.name}.{dst.ns}"


def call_text(src: Workload, dst: Workload, c: Call, api_path: bool = False) -> str:
    """A call; `api_path` gives it an /api/<service> path, which the generated L7 policies
    (paths /api/*) allow."""
    if c.probability == 100 and c.size is None and not api_path:
        return ref(src, dst)
    parts = [f"service: {ref(src, dst)}"]
    if c.size:
        parts.append(f"size: {c.size}")
    if c.probability != 100:
        parts.append(f"probability: {c.probability}")
    if api_path:
        parts.append(f"path: /api/{dst.name}")
    return "{" + ", ".join(parts) + "}"


def principal(w: Workload) -> str:
    return f"cluster.local/ns/{w.ns}/sa/{w.name}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=10000, help="application pods (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--waves", type=int, default=5, help="waves in the migration plan (default 5)")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args(argv)
    if args.pods < 50:
        ap.error("--pods must be at least 50")
    if args.waves < 1:
        ap.error("--waves must be at least 1")

    rng = random.Random(args.seed)
    ns_count = max(3, round(args.pods / 200))  # ~50 namespaces for 10,000 pods
    namespaces = namespace_names(ns_count)
    if args.waves > ns_count:
        ap.error(f"--waves {args.waves} is more than the {ns_count} namespaces to move")
    ws = make_workloads(rng, args.pods, namespaces)
    make_scripts(rng, ws)
    index = {w.key: i for i, w in enumerate(ws)}
    team_cc = {ns: (ns.split("-")[0], f"cc-{1000 + k}") for k, ns in enumerate(namespaces)}
    ns_workloads: dict[str, list[int]] = {ns: [] for ns in namespaces}
    for i, w in enumerate(ws):
        ns_workloads[w.ns].append(i)
    l7_ns = {ns for ns in namespaces if any(ws[i].l7 and ws[i].l7 != ["envoyFilter"] for i in ns_workloads[ns])}

    # ---- policies ------------------------------------------------------------------------
    # L4 (principals) on a called workload in about a third of the namespaces.
    l4_policies = []
    for ns in namespaces:
        called = [i for i in ns_workloads[ns] if ws[i].callers]
        if called and rng.random() < 0.35:
            t = rng.choice(called)
            l4_policies.append((ns, t))
    # L7 (methods, paths) on a called workload in a few namespaces that get a waypoint.
    l7_policies = []
    for ns in sorted(l7_ns):
        called = [i for i in ns_workloads[ns] if ws[i].callers]
        if called and rng.random() < 0.3:
            l7_policies.append((ns, rng.choice(called)))
    l7_targets = {t for _, t in l7_policies}

    # ---- plan: batches of namespaces ------------------------------------------------------
    pods_in = {ns: sum(ws[i].replicas for i in ns_workloads[ns]) for ns in namespaces}
    order = sorted((ns for ns in namespaces if ns not in l7_ns), key=lambda n: (pods_in[n], n))
    order += sorted((ns for ns in namespaces if ns in l7_ns), key=lambda n: (pods_in[n], n))
    batches: list[list[str]] = []
    if args.waves == 1:
        batches = [order]
    else:
        first = max(1, len(order) // (2 * args.waves))
        batches.append(order[:first])
        rest = order[first:]
        k = args.waves - 1
        for b in range(k):
            batches.append(rest[len(rest) * b // k: len(rest) * (b + 1) // k])

    # ---- entry points ---------------------------------------------------------------------
    # Every top-tier workload (bff) takes external load, at most 12 of them.
    tier0 = [i for i, w in enumerate(ws) if w.tier == 0]
    entries = sorted(rng.sample(tier0, min(12, len(tier0))), key=lambda i: ws[i].name)
    total_rps = args.pods / 2
    share = [rng.uniform(0.5, 1.5) for _ in entries]
    rps = [round(total_rps * s / sum(share)) for s in share]

    # ---- node pool ------------------------------------------------------------------------
    wp_pods = 3 * len(l7_ns)
    cpu = sum(w.replicas * (CPU_M[w.cpu] + SIDECAR_M) for w in ws) + wp_pods * WAYPOINT_M
    mem = sum(w.replicas * (MEM_MI[w.mem] + SIDECAR_MI) for w in ws) + wp_pods * WAYPOINT_MI
    node_cpu = INSTANCE["vcpu_m"] - ZTUNNEL_M
    node_mem = INSTANCE["mem_mi"] - ZTUNNEL_MI
    nodes = max(math.ceil(cpu / (node_cpu * (1 - HEADROOM))), math.ceil(mem / (node_mem * (1 - HEADROOM))))
    per_zone = math.ceil(nodes / len(ZONES))

    # ---- write ----------------------------------------------------------------------------
    out: list[str] = []
    emit = out.append
    cmd = ["python3", "scripts/gen-large-scenario.py", "--pods", str(args.pods), "--seed", str(args.seed),
           "--waves", str(args.waves)]
    if args.output != "-":
        cmd += ["-o", args.output]
    n_calls = sum(len(s[1]) if s[0] == "group" else 1 for w in ws for s in w.script if s[0] != "sleep")
    emit("# GENERATED FILE, do not edit by hand. Regenerate with:")
    emit("#   " + " ".join(cmd))
    emit(f"# {args.pods} application pods in {len(ws)} workloads ({n_calls} call edges) over {ns_count} namespaces,")
    emit(f"# {per_zone * len(ZONES)} {INSTANCE['type']} nodes in {len(ZONES)} zones, {len(entries)} entry points "
         f"({sum(rps)} rps in total), {args.waves} waves.")
    emit(f"# {len(l7_ns)} namespaces need L7 and get a waypoint (3 replicas, HPA) in the wave that enrols them;")
    emit(f"# {len(l4_policies)} L4 policies (principals) and {len(l7_policies)} L7 policies (moved to targetRefs on enrolment).")
    emit(f"# Nodes: requests with sidecars {cpu / 1000:.1f} vCPU / {mem / 1024:.0f} GiB, ztunnel "
         f"{ZTUNNEL_M}m / {ZTUNNEL_MI}Mi per node, {int(HEADROOM * 100)}% headroom.")
    emit("apiVersion: meshtwin/v1")
    emit("kind: Scenario")
    emit("metadata:")
    emit(f"  name: large-{args.pods}")
    emit(f"  description: Generated {args.pods}-pod scenario (seed {args.seed}), {len(ws)} workloads in a tiered fan-out, "
         f"{args.waves}-wave namespace-batch migration.")
    emit(f"seed: {args.seed}")
    emit("profile: istio-1.24-published")
    emit("defaults:")
    emit("  replicas: 1")
    emit("  concurrency: 64")
    emit("  serviceTime: {distribution: exponential, mean: 2ms}")
    emit("  requestSize: 1KiB")
    emit("  responseSize: 1KiB")
    emit("  resources: {requests: {cpu: 100m, memory: 128Mi}}")
    emit("  labels: {environment: prod}")
    emit("cluster:")
    emit(f"  zones: [{', '.join(ZONES)}]")
    emit("  nodePools:")
    emit(f"    - {{name: general, instanceType: {INSTANCE['type']}, vcpu: {INSTANCE['vcpu_m'] // 1000}, "
         f"memory: {INSTANCE['mem_mi'] // 1024}Gi, priceUsdPerHour: {INSTANCE['usd_per_hour']}, countPerZone: {per_zone}}}")
    emit("workloads:")
    for ns in namespaces:
        emit(f"  # ---- {ns}")
        for i in ns_workloads[ns]:
            w = ws[i]
            emit(f"  - name: {w.name}")
            emit(f"    namespace: {w.ns}")
            emit(f"    replicas: {w.replicas}")
            if w.labelled:
                team, cc = team_cc[w.ns]
                emit(f"    labels: {{team: {team}, cost-center: {cc}}}")
            if w.cpu != "100m" or w.mem != "128Mi":
                emit(f"    resources: {{requests: {{cpu: {w.cpu}, memory: {w.mem}}}}}")
            if w.service_time:
                emit(f"    serviceTime: {w.service_time}")
            if w.request_size:
                emit(f"    requestSize: {w.request_size}")
            if w.response_size:
                emit(f"    responseSize: {w.response_size}")
            if w.l7:
                emit(f"    l7: [{', '.join(w.l7)}]")
            if w.script:
                emit("    script:")
                for kind, v in w.script:
                    if kind == "call":
                        emit(f"      - call: {call_text(w, ws[v.target], v, v.target in l7_targets)}")
                    elif kind == "sleep":
                        emit(f"      - sleep: {v}")
                    else:
                        first = True
                        for c in v:
                            emit(f"      {'- -' if first else '  -'} call: {call_text(w, ws[c.target], c, c.target in l7_targets)}")
                            first = False
    emit("entryPoints:")
    for k, (i, r) in enumerate(zip(entries, rps)):
        w = ws[i]
        emit(f"  - name: {w.name}")
        emit(f"    service: {w.name}.{w.ns}")
        emit("    load:")
        shape = k % 3
        if shape == 0:
            emit(f"      - constant: {{rps: {r}, duration: 10m}}")
        elif shape == 1:
            emit(f"      - steps: {{rps: [{round(r * 0.6)}, {round(r * 0.8)}, {r}], duration: 6m}}")
            emit(f"      - constant: {{rps: {r}, duration: 4m}}")
        else:
            emit(f"      - constant: {{rps: {round(r * 0.8)}, duration: 4m}}")
            emit(f"      - burst: {{baseRps: {round(r * 0.8)}, peakRps: {round(r * 1.6)}, period: 60s, "
                 f"burstDuration: 10s, duration: 6m}}")
    emit("mesh:")
    emit("  defaultMode: sidecar")
    emit("  policies:")
    emit("    - apiVersion: security.istio.io/v1")
    emit("      kind: PeerAuthentication")
    emit("      metadata: {name: default, namespace: istio-system}")
    emit("      spec: {mtls: {mode: STRICT}}")
    for ns, t in l4_policies:
        w = ws[t]
        emit("    - apiVersion: security.istio.io/v1")
        emit("      kind: AuthorizationPolicy")
        emit(f"      metadata: {{name: {w.name}-callers, namespace: {ns}}}")
        emit("      spec:")
        emit(f"        selector: {{matchLabels: {{app: {w.name}}}}}")
        emit("        action: ALLOW")
        emit("        rules:")
        emit("          - from:")
        emit("              - source:")
        emit("                  principals:")
        for c in sorted(w.callers, key=lambda c: ws[c].key):
            emit(f"                    - {principal(ws[c])}")
    for ns, t in l7_policies:
        w = ws[t]
        caller_ns = sorted({ws[c].ns for c in w.callers})
        emit("    - apiVersion: security.istio.io/v1")
        emit("      kind: AuthorizationPolicy")
        emit(f"      metadata: {{name: {w.name}-api, namespace: {ns}}}")
        emit("      spec:")
        emit(f"        selector: {{matchLabels: {{app: {w.name}}}}}")
        emit("        action: ALLOW")
        emit("        rules:")
        emit(f"          - from: [{{source: {{namespaces: [{', '.join(caller_ns)}]}}}}]")
        emit("            to: [{operation: {methods: [GET, POST], paths: [\"/api/*\", /healthz]}}]")
    emit("plan:")
    emit(f"  name: namespaces-in-{args.waves}-batches")
    emit("  rollout: {maxSurge: 25%, maxUnavailable: 0}")
    emit("  waves:")
    gate_eps = [ws[i].name for i in entries[:2]]
    for b, batch in enumerate(batches):
        kind = "canary, no L7" if b == 0 and args.waves > 1 else (
            "with waypoints" if any(ns in l7_ns for ns in batch) else "L4 only")
        emit(f"    # Wave {b + 1}: {len(batch)} namespace(s), {sum(pods_in[ns] for ns in batch)} pods ({kind}).")
        emit(f"    - name: wave-{b + 1}")
        emit("      changes:")
        for ns in batch:
            if ns in l7_ns:
                hpa_max = max(4, min(10, math.ceil(pods_in[ns] / 100)))
                emit(f"        - addWaypoint: {{name: {ns}-waypoint, namespace: {ns}, for: service, replicas: 3, "
                     f"hpa: {{minReplicas: 3, maxReplicas: {hpa_max}, targetCpu: 70%}}}}")
                emit(f"        - useWaypoint: {{namespace: {ns}, waypoint: {ns}-waypoint}}")
                for pns, t in l7_policies:
                    if pns == ns:
                        emit(f"        - movePolicy: {{policy: {ns}/{ws[t].name}-api, "
                             f"targetRefs: [{{kind: Service, name: {ws[t].name}}}]}}")
            emit(f"        - setMode: {{namespace: {ns}, mode: ambient}}")
        emit("      rollout: {maxSurge: " + ("10%" if b == 0 else "25%") + ", maxUnavailable: 0}")
        emit("      gates:")
        for ep in gate_eps:
            emit(f"        - latency: {{path: {ep}, percentile: p99, threshold: 500ms}}")
            emit(f"        - errorRate: {{path: {ep}, max: 1%}}")
    # Guard rails: an availability and a latency SLO per gated entry point, and the cost
    # labels every workload carries (audited while the plan rolls out, enforced after).
    emit("")
    emit("slos:")
    for ep in gate_eps:
        emit(f"  - {{name: {ep}-availability, path: {ep}, objective: 99.9}}")
        emit(f"  - {{name: {ep}-latency, path: {ep}, objective: 99, latency: 500ms}}")
    emit("")
    emit("labelPolicy:")
    emit("  required: [team, cost-center, environment]")
    emit("  duringMigration: Audit")
    emit("  afterLastWave: Enforce")
    text = "\n".join(out) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
