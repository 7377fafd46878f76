#!/usr/bin/env python3
"""docker-py (Debian's python3-docker) peer of bench/run: same workloads and arguments as
berth-bench (WORKLOAD N [ARG]); BERTH_BENCH_RATE limits stream consumers (bytes/s)."""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import docker


def drain(chunks, rate):
    total = 0
    start = time.monotonic()
    for chunk in chunks:
        total += len(chunk)
        if rate:
            due = start + total / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
    return total


def lifecycle_once(api, image):
    c = api.create_container(image, ["true"], labels={"berth.bench": "1"},
                             host_config=api.create_host_config(network_mode="none"))
    api.start(c["Id"])
    api.wait(c["Id"])
    api.remove_container(c["Id"], force=True)


def main():
    w, n = sys.argv[1], int(sys.argv[2])
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    rate = float(os.environ.get("BERTH_BENCH_RATE", "0"))
    api = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
                           version="1.41", max_pool_size=64)
    head = ["sh", "-c", "head -c %d /dev/zero" % n]
    if w == "ping":
        for _ in range(n):
            api.ping()
    elif w == "list":
        for _ in range(n):
            api.containers(all=True)
    elif w == "concurrent":
        with ThreadPoolExecutor(64) as ex:
            list(ex.map(lambda _: api.ping(), range(n)))
    elif w == "lifecycle":
        for _ in range(n):
            lifecycle_once(api, arg)
    elif w == "lifecycle8":
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(lambda _: lifecycle_once(api, arg), range(n)))
    elif w == "exec":
        for _ in range(n):
            e = api.exec_create(arg, ["true"])
            api.exec_start(e["Id"])
            api.exec_inspect(e["Id"])
    elif w == "attach":
        c = api.create_container(arg, head, labels={"berth.bench": "1"},
                                 host_config=api.create_host_config(network_mode="none"))
        s = api.attach(c["Id"], stream=True, stdout=True, stderr=True)
        api.start(c["Id"])
        got = drain(s, rate)
        api.wait(c["Id"])
        api.remove_container(c["Id"], force=True)
        print(got)
    elif w == "execout":
        e = api.exec_create(arg, head)
        print(drain(api.exec_start(e["Id"], stream=True), rate))
    elif w == "logs":
        print(drain(api.logs(arg, stream=True, follow=False), rate))
    else:
        sys.exit("unknown workload " + w)


if __name__ == "__main__":
    main()
