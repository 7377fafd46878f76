// Tests of the generated Docker Engine API models (berth/engine/models.hpp) and their JSON
// layer (berth/engine/json.hpp): real dockerd answers, round trips, leniency, null and
// absent fields, required fields, case-insensitive member names, API version checks, and
// the snake_case names of tricky fields.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "berth/engine/json.hpp"
#include "berth/engine/models.hpp"

namespace engine = berth::engine;
using engine::api_version;
using engine::json_error;

namespace {

// Captured from dockerd 20.10.24 (API 1.41) on the build host; reformatting them would
// change nothing, they are kept as the daemon sent them.
constexpr std::string_view info_json = R"json({"ID":"ZPDY:JTZ2:5XAP:YDF3:MNLK:FGUM:V7EI:7PCK:LY5N:EFII:Y5NP:DUTL","Containers":1,"ContainersRunning":1,"ContainersPaused":0,"ContainersStopped":0,"Images":1,"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"],["Supports d_type","true"],["Native Overlay Diff","true"],["userxattr","false"]],"Plugins":{"Volume":["local"],"Network":["bridge","host","ipvlan","macvlan","null","overlay"],"Authorization":null,"Log":["awslogs","fluentd","gcplogs","gelf","journald","json-file","local","logentries","splunk","syslog"]},"MemoryLimit":true,"SwapLimit":true,"KernelMemory":true,"KernelMemoryTCP":true,"CpuCfsPeriod":true,"CpuCfsQuota":true,"CPUShares":true,"CPUSet":true,"PidsLimit":true,"IPv4Forwarding":true,"BridgeNfIptables":true,"BridgeNfIp6tables":true,"Debug":false,"NFd":35,"OomKillDisable":true,"NGoroutines":47,"SystemTime":"2026-11-23T09:51:12.157611004Z","LoggingDriver":"json-file","CgroupDriver":"cgroupfs","CgroupVersion":"1","NEventsListener":0,"KernelVersion":"6.18.44-fc-v769","OperatingSystem":"Debian GNU/Linux 12 (bookworm)","OSVersion":"12","OSType":"linux","Architecture":"x86_64","IndexServerAddress":"https://index.docker.io/v1/","RegistryConfig":{"AllowNondistributableArtifactsCIDRs":[],"AllowNondistributableArtifactsHostnames":[],"InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}},"Mirrors":[]},"NCPU":2,"MemTotal":25276026880,"GenericResources":null,"DockerRootDir":"/var/lib/docker","HttpProxy":"","HttpsProxy":"","NoProxy":"","Name":"vm","Labels":[],"ExperimentalBuild":false,"ServerVersion":"20.10.24+dfsg1","Runtimes":{"io.containerd.runc.v2":{"path":"runc"},"io.containerd.runtime.v1.linux":{"path":"runc"},"kata":{"path":"/usr/sbin/runc"},"runc":{"path":"runc"}},"DefaultRuntime":"runc","Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null},"LiveRestoreEnabled":false,"Isolation":"","InitBinary":"docker-init","ContainerdCommit":{"ID":"1.6.20~ds1-1+deb12u3","Expected":"1.6.20~ds1-1+deb12u3"},"RuncCommit":{"ID":"1.1.5+ds1-1+deb12u1","Expected":"1.1.5+ds1-1+deb12u1"},"InitCommit":{"ID":"","Expected":""},"SecurityOptions":["name=seccomp,profile=default"],"Warnings":null})json";

constexpr std::string_view version_json = R"json({"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41","Arch":"amd64","BuildTime":"2026-05-07T21:09:36.000000000+00:00","Experimental":"false","GitCommit":"5d6db84","GoVersion":"go1.19.8","KernelVersion":"6.18.44-fc-v769","MinAPIVersion":"1.12","Os":"linux"}},{"Name":"containerd","Version":"1.6.20~ds1","Details":{"GitCommit":"1.6.20~ds1-1+deb12u3"}},{"Name":"runc","Version":"1.1.5+ds1","Details":{"GitCommit":"1.1.5+ds1-1+deb12u1"}},{"Name":"docker-init","Version":"0.19.0","Details":{"GitCommit":""}}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","KernelVersion":"6.18.44-fc-v769","BuildTime":"2026-05-07T21:09:36.000000000+00:00"})json";

constexpr std::string_view container_inspect_json = R"json({"Id":"aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171","Created":"2026-11-23T09:50:50.264797765Z","Path":"/bin/sleep","Args":["300"],"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":23730,"ExitCode":0,"Error":"","StartedAt":"2026-11-23T09:50:52.883211841Z","FinishedAt":"0001-01-01T00:00:00Z","Health":{"Status":"healthy","FailingStreak":0,"Log":[{"Start":"2026-11-23T09:51:08.530308812Z","End":"2026-11-23T09:51:08.879219413Z","ExitCode":0,"Output":""},{"Start":"2026-11-23T09:51:13.891863406Z","End":"2026-11-23T09:51:14.288101842Z","ExitCode":0,"Output":""},{"Start":"2026-11-23T09:51:19.301701409Z","End":"2026-11-23T09:51:19.48679407Z","ExitCode":0,"Output":""},{"Start":"2026-11-23T09:51:24.509450562Z","End":"2026-11-23T09:51:24.966679635Z","ExitCode":0,"Output":""},{"Start":"2026-11-23T09:51:30.00107828Z","End":"2026-11-23T09:51:30.280747662Z","ExitCode":0,"Output":""}]}},"Image":"sha256:e8dfe8a1944c2192f2a24cbe2b929e5d1b3e6f08f7f70e344db98cf8a7812271","ResolvConfPath":"/var/lib/docker/containers/aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171/resolv.conf","HostnamePath":"/var/lib/docker/containers/aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171/hostname","HostsPath":"/var/lib/docker/containers/aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171/hosts","LogPath":"/var/lib/docker/containers/aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171/aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171-json.log","Name":"/berth-models-ctr","RestartCount":0,"Driver":"overlay2","Platform":"linux","MountLabel":"","ProcessLabel":"","AppArmorProfile":"","ExecIDs":null,"HostConfig":{"Binds":["berth-models-vol:/data"],"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"berth-models-net","PortBindings":{"8080/tcp":[{"HostIp":"","HostPort":"18080"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]},"GraphDriver":{"Data":{"LowerDir":"/var/lib/docker/overlay2/22f95424990ed0a61def3bb25b1f9380a82edb166c1c19d050e758b603a1df53-init/diff:/var/lib/docker/overlay2/10d65a8fe5520cd7a0b450ae125dc884dea2abd26c9963748f86ba6aa07022c6/diff","MergedDir":"/var/lib/docker/overlay2/22f95424990ed0a61def3bb25b1f9380a82edb166c1c19d050e758b603a1df53/merged","UpperDir":"/var/lib/docker/overlay2/22f95424990ed0a61def3bb25b1f9380a82edb166c1c19d050e758b603a1df53/diff","WorkDir":"/var/lib/docker/overlay2/22f95424990ed0a61def3bb25b1f9380a82edb166c1c19d050e758b603a1df53/work"},"Name":"overlay2"},"Mounts":[{"Type":"volume","Name":"berth-models-vol","Source":"/var/lib/docker/volumes/berth-models-vol/_data","Destination":"/data","Driver":"local","Mode":"z","RW":true,"Propagation":""}],"Config":{"Hostname":"aec0bc20f158","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"ExposedPorts":{"8080/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["FOO=bar","PATH=/bin"],"Cmd":["/bin/sleep","300"],"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":5000000000},"Image":"berth-models-test:1","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"org.example.tool":"berth-models","purpose":"berth-models"}},"NetworkSettings":{"Bridge":"","SandboxID":"f34f82a9ec43d070b83ea7f758cc7824c0e172e715eae97f813a4f318cd99307","HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,"Ports":{"8080/tcp":[{"HostIp":"0.0.0.0","HostPort":"18080"},{"HostIp":"::","HostPort":"18080"}]},"SandboxKey":"/var/run/docker/netns/f34f82a9ec43","SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"","Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","MacAddress":"","Networks":{"berth-models-net":{"IPAMConfig":null,"Links":null,"Aliases":["aec0bc20f158"],"NetworkID":"8bad257c07373250f07b03028b8e5d0f1b1161c8aeff68ecde44af479afa9821","EndpointID":"4232e3675195003f5df1d6840d959613da3800392a00d269ec77d6e735add410","Gateway":"172.17.0.1","IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:02","DriverOpts":null}}}})json";

constexpr std::string_view container_inspect_unpublished_json = R"json({"Id":"68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62","Created":"2026-11-23T09:52:16.449415783Z","Path":"/bin/sleep","Args":["60"],"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":24595,"ExitCode":0,"Error":"","StartedAt":"2026-11-23T09:52:18.57886791Z","FinishedAt":"0001-01-01T00:00:00Z"},"Image":"sha256:e8dfe8a1944c2192f2a24cbe2b929e5d1b3e6f08f7f70e344db98cf8a7812271","ResolvConfPath":"/var/lib/docker/containers/68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62/resolv.conf","HostnamePath":"/var/lib/docker/containers/68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62/hostname","HostsPath":"/var/lib/docker/containers/68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62/hosts","LogPath":"/var/lib/docker/containers/68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62/68bc2d4ec91e79169bfe934fef828ab55be5727147a0319da8ad63c7c49ccc62-json.log","Name":"/berth-models-np","RestartCount":0,"Driver":"overlay2","Platform":"linux","MountLabel":"","ProcessLabel":"","AppArmorProfile":"","ExecIDs":null,"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"berth-models-net","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]},"GraphDriver":{"Data":{"LowerDir":"/var/lib/docker/overlay2/fc998dfe229c46a281efd08a032c56acaff516219851d0984e57a5655736d8bb-init/diff:/var/lib/docker/overlay2/10d65a8fe5520cd7a0b450ae125dc884dea2abd26c9963748f86ba6aa07022c6/diff","MergedDir":"/var/lib/docker/overlay2/fc998dfe229c46a281efd08a032c56acaff516219851d0984e57a5655736d8bb/merged","UpperDir":"/var/lib/docker/overlay2/fc998dfe229c46a281efd08a032c56acaff516219851d0984e57a5655736d8bb/diff","WorkDir":"/var/lib/docker/overlay2/fc998dfe229c46a281efd08a032c56acaff516219851d0984e57a5655736d8bb/work"},"Name":"overlay2"},"Mounts":[],"Config":{"Hostname":"68bc2d4ec91e","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"8080/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/bin"],"Cmd":["/bin/sleep","60"],"Image":"berth-models-test:1","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"org.example.tool":"berth-models","purpose":"berth-models"}},"NetworkSettings":{"Bridge":"","SandboxID":"c469f2ea7c65ccceb79f50d7a789f59579f96996a1e312a24dd61aab791abb43","HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,"Ports":{"8080/tcp":null},"SandboxKey":"/var/run/docker/netns/c469f2ea7c65","SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"","Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","MacAddress":"","Networks":{"berth-models-net":{"IPAMConfig":null,"Links":null,"Aliases":["68bc2d4ec91e"],"NetworkID":"8bad257c07373250f07b03028b8e5d0f1b1161c8aeff68ecde44af479afa9821","EndpointID":"06f9c84c826e8c7a28b401afa3bb03c7df1649e0c55a11ed4687a5175b31489d","Gateway":"172.17.0.1","IPAddress":"172.17.0.3","IPPrefixLen":16,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:03","DriverOpts":null}}}})json";

constexpr std::string_view image_inspect_json = R"json({"Id":"sha256:434ad236d1f7b7b32c9ba509c4c23e233cb5b6b69928eb3c40167825051657e2","RepoTags":["berth-models-built:1"],"RepoDigests":[],"Parent":"sha256:93bde7d5847341911579dadb928b9c2a1f7131881d2064d17f74791082e31397","Comment":"","Created":"2026-11-23T09:51:27.580562608Z","Container":"e5de66fbb46224a8c091fbb68f5391180706344b92897b5e0eefc42a27a5c90a","ContainerConfig":{"Hostname":"e5de66fbb462","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"8080/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/bin"],"Cmd":["/bin/sh","-c","#(nop) ","LABEL stage=two"],"Image":"sha256:93bde7d5847341911579dadb928b9c2a1f7131881d2064d17f74791082e31397","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"org.example.tool":"berth-models","stage":"two"}},"DockerVersion":"20.10.24+dfsg1","Author":"","Config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"8080/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"Image":"sha256:93bde7d5847341911579dadb928b9c2a1f7131881d2064d17f74791082e31397","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"org.example.tool":"berth-models","stage":"two"}},"Architecture":"amd64","Os":"linux","Size":1982276,"VirtualSize":1982276,"GraphDriver":{"Data":{"LowerDir":"/var/lib/docker/overlay2/10d65a8fe5520cd7a0b450ae125dc884dea2abd26c9963748f86ba6aa07022c6/diff","MergedDir":"/var/lib/docker/overlay2/fc8f5f6ae0cf2352eeda02b004ce269dfbb018395fa5cb06d5cc69a8aa6235eb/merged","UpperDir":"/var/lib/docker/overlay2/fc8f5f6ae0cf2352eeda02b004ce269dfbb018395fa5cb06d5cc69a8aa6235eb/diff","WorkDir":"/var/lib/docker/overlay2/fc8f5f6ae0cf2352eeda02b004ce269dfbb018395fa5cb06d5cc69a8aa6235eb/work"},"Name":"overlay2"},"RootFS":{"Type":"layers","Layers":["sha256:99dcabe31bc73ccd72f85f1544b8d83cc5745037e8b660f6ef406e20b0278fee","sha256:6a8d710475116ba67b20125b811c32b7d523cfc87d327c9b4d6ef1b21bb460e2"]},"Metadata":{"LastTagTime":"2026-11-23T09:51:27.768380594Z"}})json";

constexpr std::string_view container_list_json = R"json([{"Id":"bf31e1df9044f66901906f5069baac790bddd103244ca63febe9c6860da248db","Names":["/berth-models-wait"],"Image":"berth-models-test:1","ImageID":"sha256:e8dfe8a1944c2192f2a24cbe2b929e5d1b3e6f08f7f70e344db98cf8a7812271","Command":"/bin/sh -c 'exit 3'","Created":1795427483,"Ports":[],"Labels":{"org.example.tool":"berth-models","purpose":"berth-models"},"State":"exited","Status":"Exited (3) 9 seconds ago","HostConfig":{"NetworkMode":"default"},"NetworkSettings":{"Networks":{"bridge":{"IPAMConfig":null,"Links":null,"Aliases":null,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"","DriverOpts":null}}},"Mounts":[]},{"Id":"aec0bc20f15832b130b5acd748bd2dadec07e849d941ce10d5d38d60f0d20171","Names":["/berth-models-ctr"],"Image":"berth-models-test:1","ImageID":"sha256:e8dfe8a1944c2192f2a24cbe2b929e5d1b3e6f08f7f70e344db98cf8a7812271","Command":"/bin/sleep 300","Created":1795427450,"Ports":[{"IP":"0.0.0.0","PrivatePort":8080,"PublicPort":18080,"Type":"tcp"},{"IP":"::","PrivatePort":8080,"PublicPort":18080,"Type":"tcp"}],"Labels":{"org.example.tool":"berth-models","purpose":"berth-models"},"State":"running","Status":"Up 40 seconds (healthy)","HostConfig":{"NetworkMode":"berth-models-net"},"NetworkSettings":{"Networks":{"berth-models-net":{"IPAMConfig":null,"Links":null,"Aliases":null,"NetworkID":"8bad257c07373250f07b03028b8e5d0f1b1161c8aeff68ecde44af479afa9821","EndpointID":"4232e3675195003f5df1d6840d959613da3800392a00d269ec77d6e735add410","Gateway":"172.17.0.1","IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"02:42:ac:11:00:02","DriverOpts":null}}},"Mounts":[{"Type":"volume","Name":"berth-models-vol","Source":"/var/lib/docker/volumes/berth-models-vol/_data","Destination":"/data","Driver":"local","Mode":"z","RW":true,"Propagation":""}]}])json";


// parse, then serialise at the newest API version; fails the test when either step fails.
template <class T>
std::string reserialise(std::string_view json) {
  auto parsed = engine::parse<T>(json);
  REQUIRE(parsed.has_value());
  auto out = engine::to_json(*parsed);
  REQUIRE(out.has_value());
  return *out;
}

// parse(to_json(x)) == x and the second serialisation equals the first.
template <class T>
void check_round_trip(std::string_view json) {
  auto first = engine::parse<T>(json);
  REQUIRE(first.has_value());
  auto s1 = engine::to_json(*first);
  REQUIRE(s1.has_value());
  auto second = engine::parse<T>(*s1);
  REQUIRE(second.has_value());
  CHECK(*second == *first);
  auto s2 = engine::to_json(*second);
  REQUIRE(s2.has_value());
  CHECK(*s2 == *s1);
}

}  // namespace

// The names a PascalCase/acronym converter most easily gets wrong.
static_assert(std::is_same_v<decltype(engine::host_config::nano_cpus), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::host_config::oom_kill_disable), std::optional<bool>>);
static_assert(std::is_same_v<decltype(engine::host_config::cpu_realtime_runtime), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::host_config::kernel_memory_tcp), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::host_config::cgroupns_mode), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::host_config::device_cgroup_rules),
                             std::optional<std::vector<std::string>>>);
static_assert(std::is_same_v<decltype(engine::host_config::blkio_device_read_iops),
                             std::optional<std::vector<engine::throttle_device>>>);
static_assert(std::is_same_v<decltype(engine::host_config::io_maximum_iops), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::host_config::port_bindings), std::optional<engine::port_map>>);
static_assert(std::is_same_v<decltype(engine::host_config::log_config),
                             std::optional<engine::host_config_log_config>>);
static_assert(std::is_same_v<decltype(engine::endpoint_settings::ip_address), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::endpoint_settings::global_ipv6_address), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::endpoint_settings::ipam_config),
                             std::optional<engine::endpoint_ipam_config>>);
static_assert(std::is_same_v<decltype(engine::endpoint_ipam_config::ipv4_address), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::endpoint_ipam_config::link_local_ips),
                             std::optional<std::vector<std::string>>>);
static_assert(std::is_same_v<decltype(engine::network::ipam), std::optional<engine::ipam>>);
static_assert(std::is_same_v<decltype(engine::container_config::mac_address), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::system_info::http_proxy), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::system_info::os_type), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::system_info::ncpu), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::system_info::n_events_listener), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::system_info::bridge_nf_ip6tables), std::optional<bool>>);
static_assert(std::is_same_v<decltype(engine::container_summary::id), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::container_state::oom_killed), std::optional<bool>>);
static_assert(std::is_same_v<decltype(engine::container_config::exposed_ports),
                             std::optional<std::map<std::string, engine::empty_object>>>);
static_assert(std::is_same_v<decltype(engine::system_version_components_item::details),
                             std::optional<engine::json_value>>);
static_assert(std::is_same_v<decltype(engine::exec_inspect_response::container_id), std::optional<std::string>>);
// Fields a response-only struct requires in both v1.41 and v1.56 are plain values; request
// structs, structs used both ways, and fields not required stay optional.
static_assert(std::is_same_v<decltype(engine::container_create_response::id), std::string>);
static_assert(std::is_same_v<decltype(engine::container_create_response::warnings),
                             std::vector<std::string>>);
static_assert(std::is_same_v<decltype(engine::container_wait_response::status_code), std::int64_t>);
static_assert(std::is_same_v<decltype(engine::container_wait_response::error),
                             std::optional<engine::container_wait_exit_error>>);
static_assert(std::is_same_v<decltype(engine::id_response::id), std::string>);
static_assert(std::is_same_v<decltype(engine::image_summary::repo_tags), std::vector<std::string>>);
static_assert(std::is_same_v<decltype(engine::image_summary::virtual_size), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::volume::labels), std::map<std::string, std::string>>);
static_assert(std::is_same_v<decltype(engine::volume::created_at), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::network_create_response::id), std::string>);
static_assert(std::is_same_v<decltype(engine::port_summary::private_port), std::int64_t>);
static_assert(std::is_same_v<decltype(engine::port_summary::public_port), std::optional<std::int64_t>>);
static_assert(std::is_same_v<decltype(engine::container_create_body::image), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::driver::name), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::network_create_body::name), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(engine::image_manifest_summary::id), std::optional<std::string>>);
// Keywords get a trailing underscore; enum definitions are aliases of their JSON type.
static_assert(std::is_same_v<engine::mount_type, std::string>);
static_assert(std::is_same_v<engine::network_summary, engine::network>);
static_assert(engine::model<engine::container_create_body>);
static_assert(engine::model<engine::container_inspect_response>);
static_assert(!engine::model<engine::json_value>);
static_assert(!engine::model<std::string>);
// Plain aggregates.
static_assert(std::is_aggregate_v<engine::host_config>);
static_assert(std::is_aggregate_v<engine::container_create_body>);

TEST_CASE("system info from dockerd") {
  auto info = engine::parse<engine::system_info>(info_json);
  REQUIRE(info.has_value());
  CHECK(info->id == "ZPDY:JTZ2:5XAP:YDF3:MNLK:FGUM:V7EI:7PCK:LY5N:EFII:Y5NP:DUTL");
  CHECK(info->containers == 1);
  CHECK(info->n_fd == 35);
  CHECK(info->ncpu == 2);
  CHECK(info->mem_total == 25276026880);
  CHECK(info->os_type == "linux");
  CHECK(info->cpu_set == true);
  CHECK(info->kernel_memory_tcp == true);  // absent from API 1.56, kept from 1.41
  CHECK(info->ipv4_forwarding == true);
  CHECK(info->cgroup_version == "1");
  REQUIRE(info->driver_status.has_value());
  REQUIRE(info->driver_status->size() == 4);
  CHECK((*info->driver_status)[0] == std::vector<std::string>{"Backing Filesystem", "extfs"});
  REQUIRE(info->plugins.has_value());
  CHECK(info->plugins->volume == std::vector<std::string>{"local"});
  CHECK(!info->plugins->authorization.has_value());  // null
  REQUIRE(info->runtimes.has_value());
  CHECK(info->runtimes->size() == 4);
  CHECK(info->runtimes->at("kata").path == "/usr/sbin/runc");
  REQUIRE(info->registry_config.has_value());
  REQUIRE(info->registry_config->index_configs.has_value());
  CHECK(info->registry_config->index_configs->at("docker.io").official == true);
  CHECK(info->registry_config->insecure_registry_cidrs == std::vector<std::string>{"127.0.0.0/8"});
  CHECK(!info->generic_resources.has_value());  // null
  CHECK(!info->warnings.has_value());           // null
  REQUIRE(info->labels.has_value());            // [] is not absent
  CHECK(info->labels->empty());
  REQUIRE(info->swarm.has_value());
  CHECK(info->swarm->local_node_state == "inactive");
  CHECK(!info->swarm->remote_managers.has_value());
  REQUIRE(info->containerd_commit.has_value());
  CHECK(info->containerd_commit->id == "1.6.20~ds1-1+deb12u3");
  CHECK(!info->firewall_backend.has_value());  // a v1.56 field the 1.41 daemon does not send
  check_round_trip<engine::system_info>(info_json);
}

TEST_CASE("version from dockerd: json_value details") {
  auto v = engine::parse<engine::system_version>(version_json);
  REQUIRE(v.has_value());
  CHECK(v->api_version == "1.41");
  CHECK(v->min_api_version == "1.12");
  CHECK(v->go_version == "go1.19.8");
  REQUIRE(v->platform.has_value());
  CHECK(v->platform->name == "");
  REQUIRE(v->components.has_value());
  REQUIRE(v->components->size() == 4);
  const auto& engine_component = (*v->components)[0];
  CHECK(engine_component.name == "Engine");
  REQUIRE(engine_component.details.has_value());
  // An untyped object is kept as compact JSON text, members in the daemon's order.
  CHECK(engine_component.details->json.rfind(R"({"ApiVersion":"1.41","Arch":"amd64",)", 0) == 0);
  auto details = engine::parse<engine::system_version>(engine_component.details->json);
  REQUIRE(details.has_value());  // any object parses as any model: unknown members are ignored
  CHECK(details->api_version == "1.41");
  CHECK((*v->components)[3].details->json == R"({"GitCommit":""})");
  check_round_trip<engine::system_version>(version_json);
}

TEST_CASE("container inspect from dockerd") {
  auto c = engine::parse<engine::container_inspect_response>(container_inspect_json);
  REQUIRE(c.has_value());
  CHECK(c->name == "/berth-models-ctr");
  CHECK(c->args == std::vector<std::string>{"300"});
  REQUIRE(c->state.has_value());
  CHECK(c->state->running == true);
  CHECK(c->state->oom_killed == false);
  REQUIRE(c->state->health.has_value());
  CHECK(c->state->health->status == "healthy");
  REQUIRE(c->state->health->log.has_value());
  CHECK(c->state->health->log->size() == 5);
  CHECK(c->state->health->log->front().exit_code == 0);
  CHECK(!c->exec_ids.has_value());

  REQUIRE(c->host_config.has_value());
  const auto& hc = *c->host_config;
  CHECK(hc.cgroupns_mode == "host");
  CHECK(hc.nano_cpus == 0);
  CHECK(hc.oom_kill_disable == false);
  CHECK(hc.shm_size == 67108864);
  CHECK(!hc.memory_swappiness.has_value());  // null
  CHECK(!hc.device_cgroup_rules.has_value());
  REQUIRE(hc.blkio_device_read_iops.has_value());
  CHECK(hc.blkio_device_read_iops->empty());
  CHECK(hc.console_size == std::vector<std::int64_t>{0, 0});
  REQUIRE(hc.log_config.has_value());
  CHECK(hc.log_config->type == "json-file");
  REQUIRE(hc.log_config->config.has_value());
  CHECK(hc.log_config->config->empty());
  REQUIRE(hc.port_bindings.has_value());
  const auto& binding = hc.port_bindings->at("8080/tcp");
  REQUIRE(binding.has_value());
  REQUIRE(binding->size() == 1);
  CHECK((*binding)[0].host_port == "18080");
  CHECK((*binding)[0].host_ip == "");
  REQUIRE(hc.restart_policy.has_value());
  CHECK(hc.restart_policy->name == "no");
  CHECK(hc.masked_paths->size() == 10);

  REQUIRE(c->config.has_value());
  CHECK(c->config->env == std::vector<std::string>{"FOO=bar", "PATH=/bin"});
  REQUIRE(c->config->exposed_ports.has_value());
  CHECK(c->config->exposed_ports->count("8080/tcp") == 1);
  REQUIRE(c->config->healthcheck.has_value());
  CHECK(c->config->healthcheck->interval == 5000000000);
  CHECK(c->config->healthcheck->test == std::vector<std::string>{"CMD-SHELL", "true"});
  CHECK(!c->config->entrypoint.has_value());
  CHECK(c->config->labels->at("purpose") == "berth-models");

  REQUIRE(c->mounts.has_value());
  REQUIRE(c->mounts->size() == 1);
  CHECK(c->mounts->front().type == "volume");
  CHECK(c->mounts->front().rw == true);
  REQUIRE(c->graph_driver.has_value());
  CHECK(c->graph_driver->name == "overlay2");
  CHECK(c->graph_driver->data.count("MergedDir") == 1);

  REQUIRE(c->network_settings.has_value());
  const auto& ns = *c->network_settings;
  CHECK(ns.ip_address == "");  // deprecated top-level field, still sent by 1.41
  REQUIRE(ns.ports.has_value());
  CHECK(ns.ports->at("8080/tcp")->size() == 2);
  REQUIRE(ns.networks.has_value());
  const auto& net = ns.networks->at("berth-models-net");
  CHECK(net.ip_address == "172.17.0.2");
  CHECK(net.ip_prefix_len == 16);
  CHECK(net.mac_address == "02:42:ac:11:00:02");
  CHECK(!net.ipam_config.has_value());
  CHECK(net.aliases == std::vector<std::string>{"aec0bc20f158"});
  CHECK(!net.gw_priority.has_value());
  check_round_trip<engine::container_inspect_response>(container_inspect_json);
}

TEST_CASE("PortMap keeps exposed-but-unpublished ports as null") {
  auto c = engine::parse<engine::container_inspect_response>(container_inspect_unpublished_json);
  REQUIRE(c.has_value());
  REQUIRE(c->network_settings->ports.has_value());
  const auto& ports = *c->network_settings->ports;
  REQUIRE(ports.count("8080/tcp") == 1);
  CHECK(!ports.at("8080/tcp").has_value());
  engine::network_settings only_ports;
  only_ports.ports = ports;
  CHECK(engine::to_json(only_ports).value() == R"({"Ports":{"8080/tcp":null}})");
  check_round_trip<engine::container_inspect_response>(container_inspect_unpublished_json);
}

TEST_CASE("image inspect from dockerd") {
  auto img = engine::parse<engine::image_inspect>(image_inspect_json);
  REQUIRE(img.has_value());
  CHECK(img->repo_tags == std::vector<std::string>{"berth-models-built:1"});
  REQUIRE(img->repo_digests.has_value());
  CHECK(img->repo_digests->empty());
  CHECK(img->size == 1982276);
  CHECK(img->virtual_size == 1982276);  // removed in later APIs, kept from 1.41
  CHECK(img->docker_version == "20.10.24+dfsg1");
  REQUIRE(img->root_fs.has_value());
  CHECK(img->root_fs->type == "layers");
  CHECK(img->root_fs->layers->size() == 2);
  REQUIRE(img->config.has_value());
  CHECK(img->config->cmd == std::vector<std::string>{"/bin/sh"});
  CHECK(img->config->labels->at("stage") == "two");
  REQUIRE(img->container_config.has_value());
  CHECK(img->container_config->hostname == "e5de66fbb462");
  REQUIRE(img->metadata.has_value());
  CHECK(img->metadata->last_tag_time == "2026-11-23T09:51:27.768380594Z");
  CHECK(!img->descriptor.has_value());
  check_round_trip<engine::image_inspect>(image_inspect_json);
}

namespace {

// A plugin as dockerd 20.10 lists it (GET /plugins), with every required member.
constexpr std::string_view plugin_json = R"json({"Id":"5724e2c8652da337ab2eedd19fc6fc0ec908e4bd907c7421bf6a8dfc70c4c078","Name":"vieux/sshfs:latest","Enabled":true,"Settings":{"Mounts":[],"Env":["DEBUG=0"],"Args":null,"Devices":null},"PluginReference":"localhost/vieux/sshfs:latest","Config":{"Description":"sshFS plugin for Docker","Documentation":"https://docs.docker.com/engine/extend/plugins/","Interface":{"Types":["docker.volumedriver/1.0"],"Socket":"sshfs.sock"},"Entrypoint":["/docker-volume-sshfs"],"WorkDir":"","Network":{"Type":"host"},"Linux":{"Capabilities":["CAP_SYS_ADMIN"],"AllowAllDevices":false,"Devices":null},"PropagatedMount":"/mnt/volumes","IpcHost":false,"PidHost":false,"Mounts":[{"Name":"state","Description":"","Settable":null,"Source":"/var/lib/docker/plugins/","Destination":"/mnt/state","Type":"bind","Options":["rbind"]}],"Env":[{"Name":"DEBUG","Description":"","Settable":["value"],"Value":"0"}],"Args":{"Name":"args","Description":"command line arguments","Settable":null,"Value":[]}}})json";

// An image list entry as dockerd 20.10 sends it (RepoDigests and Labels null).
constexpr std::string_view image_summary_json = R"json({"Containers":-1,"Created":1795427487,"Id":"sha256:434a","Labels":null,"ParentId":"sha256:93bd","RepoDigests":null,"RepoTags":["berth-models-built:1"],"SharedSize":-1,"Size":1982276,"VirtualSize":1982276})json";

// json with the first occurrence of part replaced by by (the test fails when there is none).
std::string replaced(std::string_view json, std::string_view part, std::string_view by) {
  std::string s(json);
  const auto at = s.find(part);
  REQUIRE(at != std::string::npos);
  s.replace(at, part.size(), by);
  return s;
}

// json with the first occurrence of part removed.
std::string without(std::string_view json, std::string_view part) { return replaced(json, part, ""); }

}  // namespace

TEST_CASE("required fields: plain values, always written") {
  auto p = engine::parse<engine::plugin>(plugin_json);
  REQUIRE(p.has_value());
  CHECK(p->name == "vieux/sshfs:latest");
  CHECK(p->enabled == true);
  CHECK(p->settings.env == std::vector<std::string>{"DEBUG=0"});
  CHECK(p->settings.args.empty());  // null: the default
  CHECK(p->config.interface.socket == "sshfs.sock");
  CHECK(p->config.linux_.capabilities == std::vector<std::string>{"CAP_SYS_ADMIN"});
  REQUIRE(p->config.mounts.size() == 1);
  CHECK(p->config.mounts[0].source == "/var/lib/docker/plugins/");
  CHECK(p->config.env[0].value == "0");
  CHECK(p->config.args.name == "args");
  CHECK(!p->config.user.has_value());  // not required: still optional
  check_round_trip<engine::plugin>(plugin_json);

  auto img = engine::parse<engine::image_summary>(image_summary_json);
  REQUIRE(img.has_value());
  CHECK(img->id == "sha256:434a");
  CHECK(img->containers == -1);
  CHECK(img->repo_digests.empty());  // null
  CHECK(img->labels.empty());        // null
  CHECK(img->virtual_size == 1982276);  // required in 1.41 only: optional
  check_round_trip<engine::image_summary>(image_summary_json);
  // VirtualSize is gone from newer daemons' answers: still an image.
  auto newer = engine::parse<engine::image_summary>(without(image_summary_json, R"(,"VirtualSize":1982276)"));
  REQUIRE(newer.has_value());
  CHECK(!newer->virtual_size.has_value());

  // Plain fields are written even at their defaults; optional ones only when set.
  CHECK(engine::to_json(engine::container_wait_response{}).value() == R"({"StatusCode":0})");
  CHECK(engine::to_json(engine::id_response{.id = "x"}).value() == R"({"Id":"x"})");
  engine::volume v;
  v.name = "v";
  CHECK(engine::to_json(v).value() ==
        R"({"Name":"v","Driver":"","Mountpoint":"","Labels":{},"Scope":"","Options":{}})");
  CHECK(engine::parse<engine::volume>(engine::to_json(v).value()).value() == v);
}

TEST_CASE("required fields: absent or mistyped fails with missing_field and its path") {
  std::string path;
  auto w = engine::parse<engine::container_wait_response>(R"({"Error":{"Message":"oops"}})", path);
  CHECK(w.error() == json_error::missing_field);
  CHECK(path == "StatusCode");
  CHECK(engine::parse<engine::container_wait_response>(R"({})").error() == json_error::missing_field);

  // Mistyped: like absent.
  for (std::string_view bad : {R"({"StatusCode":"3"})", R"({"StatusCode":3.5})",
                               R"({"StatusCode":18446744073709551615})", R"({"StatusCode":[]})",
                               R"({"StatusCode":true})"}) {
    path.clear();
    CHECK(engine::parse<engine::container_wait_response>(bad, path).error() == json_error::missing_field);
    CHECK(path == "StatusCode");
  }
  CHECK(engine::parse<engine::image_summary>(without(image_summary_json, R"("Labels":null,)"), path)
            .error() == json_error::missing_field);
  CHECK(path == "Labels");
  CHECK(engine::parse<engine::volume>(
            R"({"Name":"v","Driver":"local","Mountpoint":"/m","Labels":[],"Scope":"local","Options":null})",
            path)
            .error() == json_error::missing_field);
  CHECK(path == "Labels");

  // Nested, through plain and optional fields, vectors and arrays.
  path.clear();
  CHECK(engine::parse<engine::plugin>(without(plugin_json, R"("Name":"args",)"), path).error() ==
        json_error::missing_field);
  CHECK(path == "Config.Args.Name");
  CHECK(engine::parse<engine::plugin>(without(plugin_json, R"(,"Value":"0")"), path).error() ==
        json_error::missing_field);
  CHECK(path == "Config.Env[0].Value");
  CHECK(engine::parse<engine::plugin>(without(plugin_json, R"("Enabled":true,)"), path).error() ==
        json_error::missing_field);
  CHECK(path == "Enabled");
  CHECK(engine::parse<engine::volume>(
            R"({"Name":"v","Driver":"local","Mountpoint":"/m","Labels":null,"Scope":"local",)"
            R"("Options":null,"UsageData":{"Size":1}})",
            path)
            .error() == json_error::missing_field);
  CHECK(path == "UsageData.RefCount");  // inside an optional field
  auto list = engine::parse_array<engine::container_summary>(
      R"([{"Id":"a","Ports":[]},{"Id":"b","Ports":[{"PrivatePort":80,"Type":"tcp"},{"PrivatePort":81}]}])", path);
  CHECK(list.error() == json_error::missing_field);
  CHECK(path == "[1].Ports[1].Type");
  auto images = engine::parse_array<engine::image_summary>(
      "[" + std::string(image_summary_json) + "," + without(image_summary_json, R"("Id":"sha256:434a",)") + "]",
      path);
  CHECK(images.error() == json_error::missing_field);
  CHECK(path == "[1].Id");
  // The first missing one, in the spec's order.
  CHECK(engine::parse<engine::volume>(R"({"Scope":"local"})", path).error() == json_error::missing_field);
  CHECK(path == "Name");

  // Still lenient where nothing is required: non-objects in an array are skipped,
  // mistyped elements of a required list dropped, and the path is left alone on success.
  path = "untouched";
  auto tags = engine::parse_array<engine::image_summary>(
      "[1,null," +
          replaced(image_summary_json, R"("RepoTags":["berth-models-built:1"])", R"("RepoTags":["a",2,null,"b"])") +
          "]",
      path);
  REQUIRE(tags.has_value());
  REQUIRE(tags->size() == 1);
  CHECK((*tags)[0].repo_tags == std::vector<std::string>{"a", "b"});
  CHECK(path == "untouched");

  // What parse_array reports without a path, and the category's message.
  CHECK(engine::parse_array<engine::image_summary>(R"([{"Id":"x"}])").error() == json_error::missing_field);
  CHECK(std::error_code(json_error::missing_field).message() ==
        "a field the spec requires is absent, or not of its JSON type");
}

TEST_CASE("required fields: null gives the default") {
  auto w = engine::parse<engine::container_wait_response>(R"({"StatusCode":null})");
  REQUIRE(w.has_value());
  CHECK(w->status_code == 0);
  auto v = engine::parse<engine::volume>(
      R"({"Name":"v","Driver":null,"Mountpoint":"/m","Labels":null,"Scope":"local","Options":null})");
  REQUIRE(v.has_value());
  CHECK(v->driver.empty());
  CHECK(v->labels.empty());
  CHECK(v->options.empty());
  // A struct: its default, whose own required fields are then not asked for.
  auto p = engine::parse<engine::plugin>(replaced(
      plugin_json, R"({"Name":"args","Description":"command line arguments","Settable":null,"Value":[]})", "null"));
  REQUIRE(p.has_value());
  CHECK(p->config.args == engine::plugin_config_args{});
  auto back = engine::to_json(*p).value();
  CHECK(back.find(R"("Args":{"Name":"","Description":"","Settable":[],"Value":[]})") != std::string::npos);
}

TEST_CASE("member names match as in Go: exactly, else ASCII case-insensitively") {
  // SecretCreate and ConfigCreate answer {"ID":...} where the spec says IdResponse {"Id"}.
  auto id = engine::parse<engine::id_response>(R"({"ID":"x"})");
  REQUIRE(id.has_value());
  CHECK(id->id == "x");
  CHECK(engine::parse<engine::id_response>(R"({"id":"y"})")->id == "y");
  // The exact spelling wins whatever the order; a folded one beside it is ignored.
  CHECK(engine::parse<engine::id_response>(R"({"ID":"folded","Id":"exact"})")->id == "exact");
  CHECK(engine::parse<engine::id_response>(R"({"Id":"exact","ID":"folded"})")->id == "exact");
  CHECK(engine::parse<engine::id_response>(R"({"Id":"exact","ID":5})")->id == "exact");
  // Optional fields too; names that differ in more than case stay unknown.
  auto exec = engine::parse<engine::exec_inspect_response>(R"({"id":"e1","EXITCODE":3,"Exit_Code":4})");
  REQUIRE(exec.has_value());
  CHECK(exec->id == "e1");
  CHECK(exec->exit_code == 3);
  CHECK(engine::parse<engine::id_response>(R"({"Idx":"z"})").error() == json_error::missing_field);
  // Written back with the spec's spelling.
  CHECK(engine::to_json(*id).value() == R"({"Id":"x"})");
}

TEST_CASE("container list from dockerd: parse_array") {
  auto list = engine::parse_array<engine::container_summary>(container_list_json);
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 2);
  const auto& running = (*list)[1];
  CHECK(running.names == std::vector<std::string>{"/berth-models-ctr"});
  CHECK(running.state == "running");
  REQUIRE(running.ports.has_value());
  REQUIRE(running.ports->size() == 2);
  CHECK((*running.ports)[0].private_port == 8080);
  CHECK((*running.ports)[0].public_port == 18080);
  CHECK((*running.ports)[0].ip == "0.0.0.0");
  CHECK(running.host_config->network_mode == "berth-models-net");
  CHECK(running.network_settings->networks->at("berth-models-net").ip_address == "172.17.0.2");
  CHECK((*list)[0].ports->empty());

  CHECK(engine::parse_array<engine::container_summary>("{}").error() == json_error::not_an_array);
  CHECK(engine::parse_array<engine::container_summary>("[").error() == json_error::bad_json);
  auto mixed = engine::parse_array<engine::container_summary>(R"([1, {"Id":"a"}, null, {"Id":"b"}])");
  REQUIRE(mixed.has_value());
  REQUIRE(mixed->size() == 2);
  CHECK((*mixed)[1].id == "b");
}

TEST_CASE("small responses") {
  auto wait = engine::parse<engine::container_wait_response>(R"({"Error":null,"StatusCode":3})");
  REQUIRE(wait.has_value());
  CHECK(wait->status_code == 3);
  CHECK(!wait->error.has_value());

  auto created = engine::parse<engine::id_response>(
      R"({"Id":"bbc1ae8d5151bb97124ca31b8d35faffdc39c1e1621682065499114fa9ffd141"})");
  REQUIRE(created.has_value());
  CHECK(created->id.size() == 64);

  auto exec = engine::parse<engine::exec_inspect_response>(
      R"({"ID":"bbc1","Running":false,"ExitCode":0,"ProcessConfig":{"tty":false,"entrypoint":"/bin/sh",)"
      R"("arguments":["-c","echo hi"],"privileged":false},"OpenStdin":false,"OpenStderr":false,)"
      R"("OpenStdout":true,"CanRemove":false,"ContainerID":"aec0","DetachKeys":"","Pid":23955})");
  REQUIRE(exec.has_value());
  CHECK(exec->id == "bbc1");
  CHECK(exec->container_id == "aec0");
  CHECK(exec->pid == 23955);
  CHECK(exec->process_config->arguments == std::vector<std::string>{"-c", "echo hi"});

  auto event = engine::parse<engine::event_message>(
      R"({"status":"tag","id":"sha256:e8df","Type":"image","Action":"tag","Actor":{"ID":"sha256:e8df",)"
      R"("Attributes":{"name":"berth-models-test:1"}},"scope":"local","time":1795427445,)"
      R"("timeNano":1795427445133303387})");
  REQUIRE(event.has_value());
  CHECK(event->type == "image");
  CHECK(event->action == "tag");
  CHECK(event->actor->attributes->at("name") == "berth-models-test:1");
  CHECK(event->time_nano == 1795427445133303387);

  auto progress = engine::parse<engine::create_image_info>(
      R"({"status":"Downloading","progressDetail":{"current":1024,"total":4096},"progress":"[=>  ]","id":"a1b2"})");
  REQUIRE(progress.has_value());
  CHECK(progress->status == "Downloading");
  CHECK(progress->progress_detail->current == 1024);
  CHECK(progress->progress_detail->total == 4096);

  auto build = engine::parse<engine::build_info>(
      R"({"aux":{"ID":"sha256:434a"}})");
  REQUIRE(build.has_value());
  REQUIRE(build->aux.has_value());
  CHECK(build->aux->id == "sha256:434a");
}

TEST_CASE("unknown members are ignored, null and mistyped optional members stay unset") {
  auto w = engine::parse<engine::container_wait_response>(
      R"({"Bogus":{"x":[1,2,{"y":null}]},"StatusCode":7,"Also":"ignored"})");
  REQUIRE(w.has_value());
  CHECK(w->status_code == 7);
  CHECK(engine::to_json(*w).value() == R"({"StatusCode":7})");

  // ExitCode is optional (ExecInspectResponse requires nothing).
  CHECK(!engine::parse<engine::exec_inspect_response>(R"({"ExitCode":null})")->exit_code);
  CHECK(!engine::parse<engine::exec_inspect_response>(R"({"ExitCode":"3"})")->exit_code);
  CHECK(!engine::parse<engine::exec_inspect_response>(R"({"ExitCode":3.5})")->exit_code);
  CHECK(!engine::parse<engine::exec_inspect_response>(R"({"ExitCode":18446744073709551615})")
             ->exit_code);
  CHECK(!engine::parse<engine::exec_inspect_response>(R"({})")->exit_code);
  CHECK(!engine::parse<engine::container_wait_response>(R"({"StatusCode":0,"Error":"oops"})")->error);
  // The last of duplicate members wins.
  CHECK(engine::parse<engine::container_wait_response>(R"({"StatusCode":1,"StatusCode":2})")
            ->status_code == 2);
  // Elements and map values of the wrong type are dropped, the rest kept.
  auto cfg = engine::parse<engine::container_config>(
      R"({"Env":["A=1",2,null,"B=2"],"Labels":{"a":"1","b":2,"c":null}})");
  REQUIRE(cfg.has_value());
  CHECK(cfg->env == std::vector<std::string>{"A=1", "B=2"});
  CHECK(*cfg->labels == std::map<std::string, std::string>{{"a", "1"}});
  // A number field accepts integers.
  auto hc = engine::parse<engine::container_cpu_stats>(R"({"online_cpus":2})");
  REQUIRE(hc.has_value());
  CHECK(hc->online_cpus == 2);
}

TEST_CASE("errors: bad JSON, not an object, the category") {
  CHECK(engine::parse<engine::system_info>("").error() == json_error::bad_json);
  CHECK(engine::parse<engine::system_info>("{").error() == json_error::bad_json);
  CHECK(engine::parse<engine::system_info>("{} {}").error() == json_error::bad_json);
  CHECK(engine::parse<engine::system_info>(R"({"a":NaN})").error() == json_error::bad_json);
  CHECK(engine::parse<engine::system_info>("[]").error() == json_error::not_an_object);
  CHECK(engine::parse<engine::system_info>("null").error() == json_error::not_an_object);
  CHECK(engine::parse<engine::system_info>("  {}  ").has_value());
  std::string deep(100000, '[');
  CHECK(engine::parse<engine::system_info>("{\"Labels\":" + deep).error() == json_error::bad_json);

  const std::error_code ec = json_error::field_unsupported;
  CHECK(std::string(ec.category().name()) == "berth.engine.json");
  CHECK(ec.message() == "a field is not supported by the API version");
  CHECK(std::error_code(json_error::bad_json) != std::error_code(berth::errc::timeout));
}

TEST_CASE("serialising writes set fields only, with the spec's names") {
  engine::container_create_body body;
  body.image = "berth-models-test:1";
  body.cmd = std::vector<std::string>{"/bin/sleep", "1"};
  body.entrypoint = std::vector<std::string>{};  // [] is not absent: it clears the image's
  body.exposed_ports = std::map<std::string, engine::empty_object>{{"8080/tcp", {}}};
  body.host_config.emplace();
  body.host_config->nano_cpus = 500000000;
  body.host_config->oom_kill_disable = false;
  body.host_config->port_bindings = engine::port_map{
      {"8080/tcp", std::vector<engine::port_binding>{{.host_ip = "127.0.0.1", .host_port = "0"}}}};
  body.host_config->log_config = engine::host_config_log_config{.type = "json-file", .config = {}};
  auto json = engine::to_json(body, api_version{1, 41});
  REQUIRE(json.has_value());
  CHECK(*json ==
        R"({"ExposedPorts":{"8080/tcp":{}},"Cmd":["/bin/sleep","1"],"Image":"berth-models-test:1",)"
        R"("Entrypoint":[],"HostConfig":{"NanoCpus":500000000,"OomKillDisable":false,)"
        R"("LogConfig":{"Type":"json-file"},"PortBindings":{"8080/tcp":[{"HostIp":"127.0.0.1",)"
        R"("HostPort":"0"}]}}})");
  CHECK(engine::to_json(engine::container_create_body{}).value() == "{}");

  engine::container_config escaped;
  escaped.env = std::vector<std::string>{std::string("A=\"q\"\n\x01", 7), std::string("NUL=\0x", 6)};
  auto s = engine::to_json(escaped);
  REQUIRE(s.has_value());
  CHECK(*s == R"({"Env":["A=\"q\"\n\u0001","NUL=\u0000x"]})");
  auto back = engine::parse<engine::container_config>(*s);
  REQUIRE(back.has_value());
  CHECK(back->env == escaped.env);
}

TEST_CASE("json_value is written verbatim, and must hold JSON") {
  engine::system_version_components_item item;
  item.name = "Engine";
  item.details = engine::json_value{R"({ "ApiVersion": "1.41", "n": [1, 2.5, null] })"};
  CHECK(engine::to_json(item).value() ==
        R"({"Name":"Engine","Version":"","Details":{ "ApiVersion": "1.41", "n": [1, 2.5, null] }})");
  item.details = engine::json_value{R"("just a string")"};
  CHECK(engine::to_json(item).value() == R"({"Name":"Engine","Version":"","Details":"just a string"})");
  item.details = engine::json_value{"{"};
  CHECK(engine::to_json(item).error() == json_error::invalid_value);
  item.details = engine::json_value{""};
  CHECK(engine::to_json(item).error() == json_error::invalid_value);
  item.details = engine::json_value{"1 2"};
  CHECK(engine::to_json(item).error() == json_error::invalid_value);

  engine::container_cpu_stats stats;
  stats.online_cpus = 1;
  engine::container_stats_response r;
  r.cpu_stats = stats;
  CHECK(engine::to_json(r).has_value());
  engine::system_data_usage_response df;
  CHECK(engine::to_json(df).value() == "{}");
}

TEST_CASE("numbers: non-finite doubles cannot be written, integers are exact") {
  engine::service_spec_update_config update;
  update.max_failure_ratio = 0.25;
  CHECK(engine::to_json(update).value() == R"({"MaxFailureRatio":0.25})");
  update.max_failure_ratio = std::numeric_limits<double>::quiet_NaN();
  CHECK(engine::to_json(update).error() == json_error::invalid_value);
  update.max_failure_ratio = std::numeric_limits<double>::infinity();
  CHECK(engine::to_json(update).error() == json_error::invalid_value);
  auto whole = engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":1})");
  REQUIRE(whole.has_value());
  CHECK(whole->max_failure_ratio == 1.0);
  // Doubles survive a round trip bit for bit.
  update.max_failure_ratio = 0.1 + 0.2;
  auto again = engine::parse<engine::service_spec_update_config>(engine::to_json(update).value());
  CHECK(again->max_failure_ratio == update.max_failure_ratio);

  engine::container_memory_stats mem;
  mem.stats = std::map<std::string, std::optional<std::int64_t>>{
      {"hierarchical_memory_limit", 9223372036854771712}, {"swap", std::nullopt}};
  CHECK(engine::to_json(mem).value() ==
        R"({"stats":{"hierarchical_memory_limit":9223372036854771712,"swap":null}})");
  auto min = engine::parse<engine::container_wait_response>(R"({"StatusCode":-9223372036854775808})");
  CHECK(min->status_code == std::numeric_limits<std::int64_t>::min());

  // Numbers RapidJSON 1.1.0's own conversion gets wrong or crashes on.
  const std::string zeros(400, '0');
  auto tiny = engine::parse<engine::service_spec_update_config>(
      "{\"MaxFailureRatio\":0." + zeros + "1e-20}");
  REQUIRE(tiny.has_value());
  CHECK(tiny->max_failure_ratio == 0.0);
  CHECK(engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":1e-400})")
            ->max_failure_ratio == 0.0);
  CHECK(engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":1.8e308})").error() ==
        json_error::bad_json);
  CHECK(engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":1e400})").error() ==
        json_error::bad_json);
  CHECK(engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":0.30000000000000004})")
            ->max_failure_ratio == 0.1 + 0.2);
  CHECK(engine::parse<engine::service_spec_update_config>(R"({"MaxFailureRatio":5e-324})")
            ->max_failure_ratio == std::numeric_limits<double>::denorm_min());
  // Untyped values keep their numbers: a uint64 stays exact, a big integer becomes a double.
  auto details = engine::parse<engine::system_version_components_item>(
      R"({"Name":"x","Version":"y","Details":[18446744073709551615,-1,1.5,100000000000000000000000]})");
  REQUIRE(details.has_value());
  CHECK(details->details->json == "[18446744073709551615,-1,1.5,1e23]");
}

TEST_CASE("fields newer than the API version are refused") {
  engine::container_create_body body;
  body.image = "x";
  body.host_config.emplace();
  body.host_config->mounts = std::vector<engine::mount>{
      {.target = "/a", .source = "/tmp", .type = "bind"},
      {.target = "/b", .source = "/tmp", .type = "bind",
       .bind_options = engine::mount_bind_options{.read_only_non_recursive = true}}};
  CHECK(engine::first_unsupported_field(body, api_version{1, 41}) ==
        "HostConfig.Mounts[1].BindOptions.ReadOnlyNonRecursive");
  CHECK(engine::to_json(body, api_version{1, 41}).error() == json_error::field_unsupported);
  CHECK(engine::to_json(body, api_version{1, 43}).error() == json_error::field_unsupported);
  CHECK(engine::first_unsupported_field(body, api_version{1, 44}).empty());
  CHECK(engine::to_json(body, api_version{1, 44}).has_value());
  CHECK(engine::to_json(body, api_version{1, 56}).has_value());
  CHECK(engine::to_json(body).has_value());  // the newest version by default

  // Fields of 1.41 are fine at 1.41; a v1.56-only field without a stated version needs 1.42.
  engine::host_config hc;
  hc.cgroupns_mode = "private";
  hc.kernel_memory_tcp = 0;
  CHECK(engine::to_json(hc, api_version{1, 41}).has_value());
  hc.annotations = std::map<std::string, std::string>{{"a", "b"}};
  CHECK(engine::first_unsupported_field(hc, api_version{1, 41}) == "Annotations");
  CHECK(engine::first_unsupported_field(hc, api_version{1, 42}).empty());

  // Through maps: EndpointsConfig.<network>.GwPriority.
  engine::networking_config nc;
  nc.endpoints_config = std::map<std::string, engine::endpoint_settings>{
      {"bridge", {.aliases = std::vector<std::string>{"web"}}},
      {"front", {.gw_priority = 10}}};
  CHECK(engine::first_unsupported_field(nc, api_version{1, 41}) == "EndpointsConfig.front.GwPriority");
  CHECK(engine::to_json(nc, api_version{1, 41}).error() == json_error::field_unsupported);

  // A version stated in the spec's description: ContainerSummary.Health, "Added in v1.52".
  engine::container_summary summary;
  summary.health = engine::container_summary_health{};
  CHECK(engine::first_unsupported_field(summary, api_version{1, 51}) == "Health");
  CHECK(engine::first_unsupported_field(summary, api_version{1, 52}).empty());
}
