#!/bin/sh
# Cross-checks berth's hand-encoded containerd runtime options (encode_dump) against
# `protoc --encode` with containerd's own protos as Debian ships them. The protos use gogo
# `import weak`, which protoc rejects: copies without that word go to a temporary
# directory. Skips (77) when protoc or the protos are missing, unless CI=true.
set -eu
dump=$1
G=${BERTH_GOCODE:-/usr/share/gocode/src}
R=$G/github.com/containerd/containerd
skip() {
  echo "$1" >&2
  if [ "${CI:-}" = true ] || [ "${BERTH_REQUIRE_DAEMONS:-}" = 1 ]; then exit 1; fi
  exit 77
}
command -v protoc >/dev/null || skip "protoc not installed"
[ -f "$R/runtime/v2/runc/options/oci.proto" ] || skip "containerd protos not under $G"
[ -f /usr/include/google/protobuf/any.proto ] || skip "google/protobuf/any.proto missing"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/p"
sed 's/import weak/import/' "$R/runtime/v2/runc/options/oci.proto" > "$tmp/p/oci.proto"
sed 's/import weak/import/' "$R/pkg/runtimeoptions/v1/api.proto" > "$tmp/p/api.proto"
sed 's/import weak/import/' "$R/api/services/containers/v1/containers.proto" > "$tmp/p/containers.proto"
inc="-I$tmp/p -I$G -I$G/github.com/gogo/protobuf -I/usr/include"

enc() {  # enc MESSAGE FILE TEXT -> hex
  printf '%s\n' "$3" | protoc $inc --encode="$1" "$tmp/p/$2" 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}

runc_opts='no_pivot_root: true binary_name: "crun" root: "/run/r" systemd_cgroup: true'
kata_opts='config_path: "/etc/kata/configuration.toml"'
runc_bytes=$(printf '%s\n' "$runc_opts" | protoc $inc --encode=containerd.runc.v1.Options "$tmp/p/oci.proto" 2>/dev/null | od -An -v -to1 | tr -s ' ' '\n' | sed '/^$/d' | sed 's/^/\\/' | tr -d '\n')
kata_bytes=$(printf '%s\n' "$kata_opts" | protoc $inc --encode=runtimeoptions.v1.Options "$tmp/p/api.proto" 2>/dev/null | od -An -v -to1 | tr -s ' ' '\n' | sed '/^$/d' | sed 's/^/\\/' | tr -d '\n')

expected=$(cat <<EOT
runc_options $(enc containerd.runc.v1.Options oci.proto "$runc_opts")
runc_runtime $(enc containerd.services.containers.v1.Container.Runtime containers.proto "name: \"io.containerd.runc.v2\" options { type_url: \"containerd.runc.v1.Options\" value: \"$runc_bytes\" }")
kata_options $(enc runtimeoptions.v1.Options api.proto "$kata_opts")
kata_runtime $(enc containerd.services.containers.v1.Container.Runtime containers.proto "name: \"io.containerd.kata.v2\" options { type_url: \"runtimeoptions.v1.Options\" value: \"$kata_bytes\" }")
kata_default_runtime $(enc containerd.services.containers.v1.Container.Runtime containers.proto 'name: "io.containerd.kata.v2"')
runtime_options_both $(enc runtimeoptions.v1.Options api.proto 'type_url: "io.containerd.kata.v2.Config" config_path: "/c.toml"')
EOT
)
actual=$("$dump")
if [ "$expected" != "$actual" ]; then
  echo "protoc:" >&2; echo "$expected" >&2
  echo "berth:" >&2; echo "$actual" >&2
  exit 1
fi
echo "$actual"
echo "berth's encoding matches protoc for $(echo "$actual" | wc -l) cases"
