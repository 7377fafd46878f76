#!/usr/bin/env python3
"""bench/run's harness: runs every workload against berth and its peers in alternation on
the same daemon, and prints (and writes) a Markdown table of medians and ratios with the
client's CPU time and peak RSS, measured with wait4() on each client process."""
import argparse
import datetime
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, capture_output=True, text=True, **kw).stdout


def measure(argv, env, launcher, pipe_rate=None):
    """Runs argv through bench-measure; returns (ok, wall s, cpu s, peak RSS MiB).
    pipe_rate: the launcher drains the client's stdout at that many bytes/s."""
    fd, out = tempfile.mkstemp(prefix="berth-measure-")
    os.close(fd)
    rate = ["--rate", str(int(pipe_rate))] if pipe_rate else []
    p = subprocess.run([launcher, out] + rate + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wall, cpu, rss, code = open(out).read().split()
    except ValueError:
        wall, cpu, rss, code = 0, 0, 0, -1
    os.unlink(out)
    ok = p.returncode == 0 and int(code) == 0
    if not ok:
        err = p.stderr.decode(errors="replace").strip()
        print(f"  ! {' '.join(argv)[:120]}: exit {code}: {err[:300]}", file=sys.stderr)
    return ok, float(wall), float(cpu), int(rss) / 1024.0

def containerd_workloads(a, bb, launcher, env, only, reps, stream, slow):
    """berth against ctr on the containerd of scripts/engines: task stdout run to completion
    (as `ctr run`), the same with a consumer at 10 MB/s, and a pull + unpack from the
    loopback registry. ctr's figures are its own process (wait4 on it: the shim is
    containerd's child, not ctr's); its stdout goes to /dev/null, or into a pipe the
    launcher drains at the rate."""
    keys = ["ctrd-stdout", "ctrd-stdout@10MB/s", "ctrd-pull"]
    if only and not (only & set(keys)):
        return []
    sock = env.get("BERTH_CONTAINERD_ADDRESS") or env.get("CONTAINERD_ADDRESS")
    registry = env.get("BERTH_REGISTRY", "127.0.0.1:5000")
    image = f"{registry}/berth-test/busybox:latest"
    pull_ref = f"{registry}/berth-bench/pull:latest"
    labels = {"ctrd-stdout": "containerd: task stdout (run to completion)",
              "ctrd-stdout@10MB/s": "containerd: task stdout, consumer at 10 MB/s",
              "ctrd-pull": "containerd: pull + unpack from the loopback registry"}
    missing = None
    if not sock or not os.path.exists(sock):
        missing = "containerd not running"
    elif not shutil.which("ctr"):
        missing = "ctr not installed"
    elif not os.path.exists(bb) or subprocess.run([bb, "ctrd-check", "0"], capture_output=True).returncode != 0:
        missing = "berth built without containerd"
    if missing:
        return [(labels[k], 0, "bytes", p, missing, None, None, None)
                for k in keys if not only or k in only for p in ("berth", "ctr (containerd)")]
    ns = "berth-bench"
    pull_ns = "berth-bench-pull"
    env = dict(env, BERTH_CONTAINERD_ADDRESS=sock, BERTH_BENCH_NAMESPACE=ns)
    ctr = ["ctr", "-a", sock]

    def ctr_sh(args):
        return subprocess.run(ctr + args, capture_output=True, text=True)

    # Fixtures: the test image in the bench namespace, and an image of its own to pull
    # (busybox plus 32 MiB of random data, so the pull moves real bytes).
    ctr_sh(["-n", ns, "images", "pull", "--plain-http", image])
    if subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://{registry}/v2/berth-bench/pull/manifests/latest"]).returncode:
        ctx = tempfile.mkdtemp(prefix="berth-bench-pull-")
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {env.get('BERTH_TEST_IMAGE', 'berth-test/busybox:latest')}\n"
                    "RUN head -c 33554432 /dev/urandom > /blob\n")
        sh(["docker", "build", "--network", "none", "-q", "-t", pull_ref, ctx])
        sh(["docker", "push", pull_ref])
        shutil.rmtree(ctx, ignore_errors=True)

    def clean_pull_ns():
        for name in ctr_sh(["-n", pull_ns, "images", "ls", "-q"]).stdout.split():
            ctr_sh(["-n", pull_ns, "images", "rm", "--sync", name])
        for line in ctr_sh(["-n", pull_ns, "content", "ls", "-q"]).stdout.split():
            ctr_sh(["-n", pull_ns, "content", "rm", line])
        for line in ctr_sh(["-n", pull_ns, "snapshots", "ls"]).stdout.splitlines()[1:]:
            if line.split():
                ctr_sh(["-n", pull_ns, "snapshots", "rm", line.split()[0]])

    seq = [0]

    def ctr_id():
        seq[0] += 1
        return f"berth-bench-ctr-{os.getpid()}-{seq[0]}"

    results = []
    for key in keys:
        if only and key not in only:
            continue
        rate = 10e6 if key.endswith("@10MB/s") else None
        if key == "ctrd-pull":
            n, unit = 1, "op"
            peers = {"berth": lambda: [bb, "ctrd-pull", "1", pull_ref],
                     "ctr (containerd)": lambda: ctr + ["-n", pull_ns, "images", "pull", "--plain-http", pull_ref]}
        else:
            n, unit = (slow if rate else stream), "bytes"
            peers = {"berth": lambda: [bb, "ctrd-stdout", str(n), image],
                     "ctr (containerd)": lambda: ctr + ["-n", ns, "run", "--rm", image, ctr_id(),
                                                        "sh", "-c", f"head -c {n} /dev/zero"]}
        run_env = dict(env, BERTH_BENCH_NAMESPACE=pull_ns if key == "ctrd-pull" else ns)
        if rate:
            run_env["BERTH_BENCH_RATE"] = str(int(rate))
        samples = {p: [] for p in peers}
        print(f"{labels[key]} (N={n if unit == 'op' else str(n >> 20) + ' MiB'}):", file=sys.stderr, flush=True)
        rounds = reps if key != "ctrd-stdout@10MB/s" else 1
        if key == "ctrd-pull":
            rounds = max(rounds, 3)
        for rep in range(rounds):
            for p, argv in peers.items():   # alternation: every peer once per round
                if key == "ctrd-pull":
                    clean_pull_ns()
                pipe = rate if (rate and p != "berth") else None
                ok, wall, cpu, rss = measure(argv(), run_env, launcher, pipe_rate=pipe)
                if ok:
                    samples[p].append((wall, cpu, rss))
                print(f"  {p:<18} {'ok ' if ok else 'ERR'} {wall:8.3f}s cpu {cpu:7.3f}s rss {rss:7.1f} MiB",
                      file=sys.stderr, flush=True)
        for p in peers:
            s = samples[p]
            if not s:
                results.append((labels[key], n, unit, p, "failed", None, None, None))
            else:
                results.append((labels[key], n, unit, p, "ok", statistics.median(x[0] for x in s),
                                statistics.median(x[1] for x in s), max(x[2] for x in s)))
    clean_pull_ns()
    ctr_sh(["namespaces", "rm", pull_ns])
    for cid in ctr_sh(["-n", ns, "containers", "ls", "-q"]).stdout.split():
        ctr_sh(["-n", ns, "tasks", "kill", "-s", "SIGKILL", cid])
        ctr_sh(["-n", ns, "tasks", "rm", "-f", cid])
        ctr_sh(["-n", ns, "containers", "rm", cid])
    for name in ctr_sh(["-n", ns, "images", "ls", "-q"]).stdout.split():
        ctr_sh(["-n", ns, "images", "rm", "--sync", name])
    ctr_sh(["namespaces", "rm", ns])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="comma-separated workloads")
    a = ap.parse_args()

    image = os.environ.get("BERTH_TEST_IMAGE", "berth-test/busybox:latest")
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    sock = host[len("unix://"):] if host.startswith("unix://") else None
    env = dict(os.environ)
    q = a.quick
    reps = a.reps or (1 if q else 3)
    n_req = 100 if q else 2000
    n_conc = 256 if q else 2000
    n_life = 5 if q else 50
    n_exec = 10 if q else 100
    stream = (16 << 20) if q else (1 << 30)
    stream_logs = (stream // 1000) * 1000          # whole 1000-byte lines
    slow = (8 << 20) if q else (200 << 20)         # the 10 MB/s consumer: 20 s in a full run
    cli_div = 20                                   # docker CLI: one process per op, N/20 ops

    # Fixtures: a running container for exec, a stopped one whose logs hold the stream
    # (not needed when --only names containerd workloads alone).
    only = set(filter(None, a.only.split(",")))
    docker_keys = {"ping", "list", "concurrent", "lifecycle", "lifecycle8", "exec", "attach", "execout", "logs",
                   "logs@10MB/s"}
    exec_id = logs_id = ""
    if not only or only & docker_keys:
        sh(f"docker rm -f berth-bench-exec berth-bench-logs >/dev/null 2>&1 || true")
        exec_id = sh(["docker", "run", "-d", "--network", "none", "--name", "berth-bench-exec", "--label", "berth.bench=1",
                      image, "sleep", "86400"]).strip()
        logs_id = sh(["docker", "run", "-d", "--network", "none", "--name", "berth-bench-logs", "--label", "berth.bench=1", image,
                      "sh", "-c", f"yes $(head -c 999 /dev/zero | tr '\\0' a) | head -c {stream_logs}"]).strip()
        sh(["docker", "wait", logs_id])

    bb = os.path.join(a.build, "bench", "berth-bench")
    floor = os.path.join(a.build, "bench", "bench-floor")
    launcher = os.path.join(a.build, "bench", "bench-measure")
    node_ok = os.path.isdir(os.path.join(HERE, "node_modules", "dockerode")) and shutil.which("node")
    tmp = tempfile.mkdtemp(prefix="berth-bench-")

    def curl_list(path, n, parallel=False):
        cfg = os.path.join(tmp, f"curl-{path.strip('/').replace('/', '_')}-{n}.cfg")
        with open(cfg, "w") as f:
            for _ in range(n):
                f.write(f'url = "http://d{path}"\noutput = "/dev/null"\n')
        argv = ["curl", "-sf", "--unix-socket", sock, "-K", cfg]
        if parallel:
            argv[1:1] = ["--parallel", "--parallel-max", "64"]
        return argv

    def shloop(cmd, n):
        return ["sh", "-c", f"i=0; while [ $i -lt {n} ]; do {cmd} >/dev/null || exit 1; i=$((i+1)); done"]

    head_cmd = lambda b: f"head -c {b} /dev/zero"
    curl_exec_out = lambda b: ["sh", "-c",
        f"id=$(curl -sf --unix-socket {sock} -H 'Content-Type: application/json' "
        f"-d '{{\"Cmd\":[\"sh\",\"-c\",\"{head_cmd(b)}\"],\"AttachStdout\":true,\"AttachStderr\":true}}' "
        f"http://d/v1.41/containers/{exec_id}/exec | jq -r .Id) && "
        f"curl -sf --unix-socket {sock} -H 'Content-Type: application/json' -d '{{\"Detach\":false}}' "
        f"-o /dev/null http://d/v1.41/exec/$id/start"]

    # workload -> (label, unit count, unit, {peer: argv or None})
    def peers_for(w, n, arg, rate=None):
        r = {}
        r["berth"] = [bb, w, str(n), arg]
        r["floor (raw socket)"] = [floor, w, str(n), arg] if not rate else None
        r["docker-py"] = [sys.executable, os.path.join(HERE, "peers", "dockerpy_bench.py"), w, str(n), arg]
        r["dockerode"] = (["node", os.path.join(HERE, "peers", "dockerode_bench.js"), w, str(n), arg]
                          if node_ok else "not installed")
        curl = None
        if w in ("ping", "list"):
            curl = curl_list("/_ping" if w == "ping" else "/v1.41/containers/json?all=1", n)
        elif w == "concurrent":
            curl = curl_list("/_ping", n, parallel=True)
        elif w == "logs":
            curl = ["curl", "-sf", "--unix-socket", sock, "-o", "/dev/null",
                    f"http://d/v1.41/containers/{arg}/logs?stdout=1&stderr=1"]
            if rate:
                curl[1:1] = ["--limit-rate", str(int(rate))]
        elif w == "execout" and not rate:
            curl = curl_exec_out(n)
        r["curl"] = curl
        dk = None
        nc = max(1, n // cli_div)
        if not rate:
            if w == "list":
                dk = (shloop("docker ps -aq", nc), nc)
            elif w == "lifecycle":
                dk = (shloop(f"docker run --rm --network none --label berth.bench=1 {image} true", n), n)
            elif w == "lifecycle8":
                dk = (["sh", "-c", f"seq {n} | xargs -P8 -I{{}} docker run --rm --network none --label berth.bench=1 {image} true"
                       " >/dev/null"], n)
            elif w == "exec":
                dk = (shloop(f"docker exec {arg} true", nc), nc)
            elif w == "attach":
                dk = (["sh", "-c", f"docker run --rm --network none --label berth.bench=1 {image} sh -c '{head_cmd(n)}' >/dev/null"], n)
            elif w == "execout":
                dk = (["sh", "-c", f"docker exec {arg} sh -c '{head_cmd(n)}' >/dev/null"], n)
            elif w == "logs":
                dk = (["sh", "-c", f"docker logs {arg} >/dev/null 2>&1"], n)
        r["docker CLI"] = dk
        return r

    workloads = [
        ("ping", "GET /_ping, sequential", n_req, "", "op"),
        ("list", "GET /containers/json, sequential", n_req, "", "op"),
        ("concurrent", "GET /_ping, 64 in flight", n_conc, "", "op"),
        ("lifecycle", "create/start/wait/rm `true`, sequential", n_life, image, "op"),
        ("lifecycle8", "create/start/wait/rm `true`, 8 in flight", n_life, image, "op"),
        ("exec", "exec `true`", n_exec, exec_id, "op"),
        ("attach", "stdout through attach", stream, image, "bytes"),
        ("execout", "stdout through exec", stream, exec_id, "bytes"),
        ("logs", "stdout through logs", stream_logs, logs_id, "bytes"),
        ("logs@10MB/s", "logs, consumer at 10 MB/s", slow, "", "bytes"),
    ]
    results = []  # (workload label, n, unit, peer, status, wall med, cpu med, rss max)
    for key, label, n, arg, unit in workloads:
        if only and key not in only:
            continue
        rate = None
        w = key
        if key == "logs@10MB/s":
            w, rate = "logs", 10e6
            # A separate fixture of the slow size.
            sh("docker rm -f berth-bench-slow >/dev/null 2>&1 || true")
            arg = sh(["docker", "run", "-d", "--network", "none", "--name", "berth-bench-slow", "--label", "berth.bench=1", image,
                      "sh", "-c", f"yes $(head -c 999 /dev/zero | tr '\\0' a) | head -c {slow}"]).strip()
            sh(["docker", "wait", arg])
        peers = peers_for(w, n, arg, rate)
        run_env = dict(env)
        if rate:
            run_env["BERTH_BENCH_RATE"] = str(int(rate))
        samples = {p: [] for p in peers}
        print(f"{label} (N={n if unit == 'op' else str(n >> 20) + ' MiB'}):", file=sys.stderr, flush=True)
        for rep in range(reps if not rate else 1):
            for p, spec in peers.items():   # alternation: every peer once per round
                if spec is None or isinstance(spec, str):
                    continue
                argv, count = (spec if isinstance(spec, tuple) else (spec, n))
                ok, wall, cpu, rss = measure(argv, run_env, launcher)
                if ok:
                    samples[p].append((wall / (count if unit == "op" else 1), cpu / (count if unit == "op" else 1),
                                       rss, count))
                print(f"  {p:<18} {'ok ' if ok else 'ERR'} {wall:8.3f}s cpu {cpu:7.3f}s rss {rss:7.1f} MiB",
                      file=sys.stderr, flush=True)
        for p, spec in peers.items():
            if spec is None:
                results.append((label, n, unit, p, "n/a", None, None, None))
            elif isinstance(spec, str):
                results.append((label, n, unit, p, spec, None, None, None))
            elif not samples[p]:
                results.append((label, n, unit, p, "failed", None, None, None))
            else:
                s = samples[p]
                results.append((label, s[0][3] if unit == "op" else n, unit, p, "ok",
                                statistics.median(x[0] for x in s), statistics.median(x[1] for x in s),
                                max(x[2] for x in s)))

    bbc = os.path.join(a.build, "bench", "berth-bench-containerd")
    results += containerd_workloads(a, bbc, launcher, env, only, reps, stream, slow)

    sh("docker rm -f berth-bench-exec berth-bench-logs berth-bench-slow >/dev/null 2>&1 || true")
    sh("docker ps -aq --filter label=berth.bench=1 | xargs -r docker rm -f >/dev/null")
    shutil.rmtree(tmp, ignore_errors=True)

    commit = os.environ.get("BERTH_COMMIT", "?")
    lines = [f"# berth benchmarks, {datetime.date.today().isoformat()}, commit {commit}", "",
             f"Mode: {'quick' if q else 'full'}; {reps} round(s) per workload, peers in alternation; "
             f"medians; ratio = peer / berth (lower is better for time and CPU). Client CPU = user + system of the "
             f"client process and its children; RSS = peak resident set of the client (measured by bench-measure, a ~1 MiB launcher, with wait4). docker CLI runs one process "
             f"per operation (N/{cli_div} operations for list and exec). "
             f"containerd rows: berth-bench against ctr on the same containerd, in alternation; ctr's figures are "
             f"its own process (the shim is containerd's child), its output to /dev/null or, at 10 MB/s, into a "
             f"pipe the launcher drains; pulls go into a namespace emptied (GC) before each round. "
             f"Host: {os.cpu_count()} CPUs; dockerd {sh(['docker', 'version', '-f', '{{.Server.Version}}']).strip()}.",
             "",
             "| workload | N | client | time | ratio | CPU | CPU ratio | peak RSS |",
             "|---|---|---|---|---|---|---|---|"]
    base = {}
    for r in results:
        if r[3] == "berth" and r[4] == "ok":
            base[r[0]] = r
    for label, n, unit, p, status, wall, cpu, rss in results:
        nn = str(n) if unit == "op" else f"{n / (1 << 20):.0f} MiB"
        if status != "ok":
            lines.append(f"| {label} | {nn} | {p} | {status} | | | | |")
            continue
        b = base.get(label)
        if unit == "op" and wall >= 0.1:
            t = f"{wall:.2f} s/op"
            c = f"{cpu:.2f} s/op"
        elif unit == "op":
            t = f"{wall * 1e6:.0f} µs/op"
            c = f"{cpu * 1e6:.0f} µs/op"
        else:
            t = f"{n / wall / 1e6:.0f} MB/s ({wall:.2f} s)"
            c = f"{cpu:.2f} s"
        ratio = f"{wall / b[5]:.2f}" if b and b[5] else ""
        cratio = f"{cpu / b[6]:.2f}" if b and b[6] else ""
        lines.append(f"| {label} | {nn} | {p} | {t} | {ratio} | {c} | {cratio} | {rss:.1f} MiB |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(f"written to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
