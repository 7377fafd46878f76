#!/usr/bin/env python3
"""Writes the seed corpora of the apple fuzz targets from the golden fixtures:

  fuzz/corpus/apple_payloads/    [selector][fixture]: the type's index in BERTH_APPLE_PAYLOADS
                                 (berth/apple/json.hpp), bit 7 for a JSON array (MANIFEST "[T]")
  fuzz/corpus/apple_error_reply/ the error fixtures, and a few malformed ones
  fuzz/corpus/apple_replies/     [route selector][entries]: every route reply golden, and the
                                 error reply for every route (the format of fuzz/apple_replies.cpp)

The outputs are committed; run this again after changing a fixture. The version and signal
seeds are written by hand. Usage (from the source root): tests/apple/golden/make_seeds.py
"""
import json
import os
import struct

G = "tests/apple/golden"
C = "fuzz/corpus"

# The order of BERTH_APPLE_PAYLOADS (berth/apple/json.hpp).
PAYLOADS = ("platform descriptor image_description filesystem user rlimit process_configuration "
            "publish_port publish_socket attachment_options attachment_configuration attachment "
            "dns_configuration resources container_configuration container_snapshot "
            "container_create_options container_list_filters container_stop_options container_stats "
            "system_platform kernel_command_line kernel network_configuration network_status "
            "network_resource volume_configuration disk_usage_entry disk_usage_stats "
            "xpc_error_payload string_map raw_json").split()
# The order of BERTH_APPLE_APISERVER_OPS then BERTH_APPLE_IMAGES_OPS (berth/apple/ops.hpp), as routes.
ROUTES = ("ping containerList containerCreate containerBootstrap containerCreateProcess "
          "containerStartProcess containerWait containerKill containerResize containerStop "
          "containerDelete containerLogs containerDial containerStats containerDiskUsage "
          "containerCopyIn containerCopyOut containerExport getDefaultKernel installKernel "
          "networkCreate networkList networkDelete volumeCreate volumeList volumeInspect "
          "volumeDelete volumeDiskUsage systemDiskUsage pluginList pluginGet pluginLoad "
          "pluginUnload pluginRestart imageList imagePull imagePush imageTag imageDelete "
          "imageSave imageLoad imageUnpack snapshotGet snapshotDelete contentGet").split()
KINDS = {"string": 0, "data": 1, "bool": 2, "int64": 3, "uint64": 4, "date": 5, "fd": 6, "array": 7}


def fixture(name):
    with open(f"{G}/{name}", "rb") as f:
        return f.read().rstrip(b"\n")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def payload_seeds():
    with open(f"{G}/MANIFEST") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            name, typ = line.split()[:2]
            sel = PAYLOADS.index(typ.strip("[]")) | (0x80 if typ.startswith("[") else 0)
            write(f"{C}/apple_payloads/{name.replace('/', '_')}", bytes([sel]) + fixture(name))
    extra = {
        "raw_nested": (31, b'{"a":[1,2.5,-3e-7,"s",null,true,{"b":{}}]}'),
        "attachment_options": (9, b'{"hostname":"h.test.","mtu":1280}'),
        "network_status": (24, b'{"ipv4Subnet":"10.0.0.0/24","ipv4Gateway":"10.0.0.1","ipv6Subnet":"fd00::/64"}'),
        "disk_usage_entry": (27, b'{"total":1,"active":0,"sizeInBytes":5,"reclaimable":5}'),
        "kernel_command_line": (21, b'{"kernelArgs":["a"],"initArgs":[]}'),
    }
    for name, (sel, data) in extra.items():
        write(f"{C}/apple_payloads/{name}", bytes([sel]) + data)


def error_seeds():
    for name in ["error.not_found.json", "error.fallback.json", "error.cause.json"]:
        write(f"{C}/apple_error_reply/{name}", fixture(name))
    write(f"{C}/apple_error_reply/unknown_code", b'{"code":"quotaExceeded","message":"m"}')
    write(f"{C}/apple_error_reply/not_json", b"the daemon failed")
    write(f"{C}/apple_error_reply/code_number", b'{"code":5,"message":"m"}')


def encode_reply(path):
    out = b""
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, rest = line.split(" ", 1)
            kind, _, text = rest.partition(" ")
            if kind == "string":
                v = json.loads(text).encode()
            elif kind == "data":
                v = fixture(text[1:]) if text.startswith("@") else json.loads(text).encode()
            elif kind == "bool":
                v = b"\x01" if text == "true" else b"\x00"
            elif kind == "uint64":
                v = struct.pack("<Q", int(text))
            elif kind in ("int64", "date"):
                v = struct.pack("<q", int(text))
            elif kind == "fd":
                v = b""
            else:  # array [fd, fd]: the length is the count
                v = b"\x00\x00"
            k = key.encode()
            out += bytes([KINDS[kind], len(k)]) + k + struct.pack(">H", len(v)) + v
    return out


def reply_seeds():
    error = encode_reply(f"{G}/routes/error.reply.txt")
    for i, route in enumerate(ROUTES):
        golden = f"{G}/routes/{route}.reply.txt"
        body = encode_reply(golden) if os.path.exists(golden) else b""
        write(f"{C}/apple_replies/{route}", bytes([i]) + body)
        write(f"{C}/apple_replies/{route}.error", bytes([i]) + error)


if __name__ == "__main__":
    payload_seeds()
    error_seeds()
    reply_seeds()
