# shellcheck shell=bash disable=SC2154 # $listen and the helpers come from container-e2e.sh
# Sourced by scripts/container-e2e.sh after its rootful `berth listen` step (it uses that script's
# step/check/ok/fail, $ROOT, $WORK, $BASE_IMAGE, $listen, in_ns-style dcmtk peers, derived_ok):
# `berth listen` as the command of the base image under ROOTLESS podman, the way someone without
# root runs it, with the DICOM port published by `-p 127.0.0.1:PORT:11112`.
#
#   - the user: made here with `useradd -m` (which gives it subordinate uid/gid ranges in
#     /etc/subuid and /etc/subgid; newuidmap/newgidmap come from Debian's uidmap), removed at the
#     end with its home; a user of that name that already exists is used and kept;
#   - its podman storage, runtime folder and temporary files all live under the work folder, with
#     the same storage.conf and containers.conf berth's container driver writes (overlay, native in
#     rootless mode on Linux ≥ 5.13; runc; cgroupfs), plus rootless_storage_path (rootless podman
#     ignores graphroot from a CONTAINERS_STORAGE_CONF file);
#   - the base image built by the main script reaches that user by `podman save | podman load`;
#   - networking: slirp4netns (podman 4.3 has no pasta), which opens /dev/net/tun as the user: where
#     the device is not world read-writable (udev's default, 0666, is missing on hosts without udev)
#     it is made so for the test and its mode restored afterwards;
#   - loopback only: the container runs from a network namespace of the test's own, so the published
#     port (podman's rootlessport) and slirp4netns's view of "the host" (10.0.2.2 with
#     allow_host_loopback=true) are that namespace's 127.0.0.1, where the dcmtk peers run; the host's
#     interfaces see nothing.

RL_USER=berth-e2e-rootless
RL_CREATED=''
RL_STATE=''
RL_NS=''
RL_PEER_PID=''
RL_TUN_MODE=''
RL_LEFT=''
RL_CONTAINER=berth-rootless-e2e
# The published port on the (namespace's) loopback: deliberately not the container's 11112.
RL_PORT=11114
RL_PEER_PORT=11113

# rl COMMAND...: COMMAND as the unprivileged user, in a clean environment of its own (nothing of
# root's: PATH, HOME, its runtime folder, its temporary folder, its podman configuration).
rl_cmd=()
rl() { "${rl_cmd[@]}" "$@"; }

# rootless_cleanup: undoes all of the above; safe to call twice, never fails (set -e stays outside).
rootless_cleanup() {
  local -
  set +e
  if [ -n "$RL_PEER_PID" ]; then kill "$RL_PEER_PID" 2>/dev/null; fi
  if [ -n "$RL_STATE" ] && [ "${#rl_cmd[@]}" -gt 0 ]; then
    rl podman rm --all --force --time 0 >/dev/null 2>&1
    rl podman rmi --all --force >/dev/null 2>&1
    # Rootless podman keeps one "pause" process holding the user's namespaces (its tmp_dir, from
    # berth's containers.conf, is $RL_STATE/tmp). slirp4netns, rootlessport and conmon end with
    # their container; whatever of this user's is still there after 5 s is counted, then ended by PID.
    if [ -s "$RL_STATE/tmp/pause.pid" ]; then kill "$(cat "$RL_STATE/tmp/pause.pid")" 2>/dev/null; fi
    if [ -n "$RL_CREATED" ]; then
      for _ in $(seq 1 50); do
        RL_LEFT=$(ps -u "$RL_USER" -o pid= 2>/dev/null | paste -sd' ')
        [ -z "$RL_LEFT" ] && break
        sleep 0.1
      done
      for pid in $RL_LEFT; do kill "$pid" 2>/dev/null; done
    fi
  fi
  if [ -n "$RL_NS" ]; then ip netns del "$RL_NS" 2>/dev/null; fi
  if [ -n "$RL_TUN_MODE" ]; then chmod "$RL_TUN_MODE" /dev/net/tun && echo "/dev/net/tun is $RL_TUN_MODE again"; fi
  if [ -n "$RL_CREATED" ]; then userdel -r "$RL_USER" >/dev/null 2>&1; fi
  RL_PEER_PID='' RL_NS='' RL_TUN_MODE='' RL_CREATED='' RL_STATE=''
  return 0
}

step "rootless podman: an unprivileged user ($RL_USER), its own storage, slirp4netns"
if ! id "$RL_USER" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$RL_USER"
  RL_CREATED=1
fi
RL_HOME=$(getent passwd "$RL_USER" | cut -d: -f6)
if ! grep -q "^$RL_USER:" /etc/subuid || ! grep -q "^$RL_USER:" /etc/subgid; then
  # useradd gives none where login.defs says so: 65536 ids after every range already given out.
  first=$(awk -F: '{ if ($2 + $3 > m) m = $2 + $3 } END { print (m < 100000 ? 100000 : m) }' /etc/subuid /etc/subgid)
  usermod --add-subuids "$first-$((first + 65535))" --add-subgids "$first-$((first + 65535))" "$RL_USER"
fi
echo "$(id "$RL_USER"); subuid $(grep "^$RL_USER:" /etc/subuid); subgid $(grep "^$RL_USER:" /etc/subgid)"
if ! runuser -u "$RL_USER" -- test -r /dev/net/tun -a -w /dev/net/tun; then
  RL_TUN_MODE=$(stat -c %a /dev/net/tun)
  echo "/dev/net/tun is $RL_TUN_MODE (no udev here): 0666, udev's default, until the end of the test"
  chmod 0666 /dev/net/tun
fi
RL_STATE="$WORK/rootless"
mkdir -p "$RL_STATE/xdg" "$RL_STATE/scratch" "$RL_STATE/spool"
chmod 0700 "$RL_STATE/xdg"
# shellcheck disable=SC2016 # a JavaScript template literal
node --input-type=module -e '
  import { writeFileSync } from "node:fs";
  const [dist, state] = process.argv.slice(1);
  const { storageConf, containersConf } = await import(dist + "/harness/drivers/container.js");
  const storage = storageConf(state) + `rootless_storage_path = ${JSON.stringify(state + "/storage")}\n`;
  writeFileSync(state + "/storage.conf", storage);
  writeFileSync(state + "/containers.conf", containersConf(state));
' "$ROOT/dist" "$RL_STATE"
chown -R "$RL_USER:" "$RL_STATE"
rl_cmd=(runuser -u "$RL_USER" -- env -i -C "$RL_HOME" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
  HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" XDG_RUNTIME_DIR="$RL_STATE/xdg" TMPDIR="$RL_STATE/scratch"
  CONTAINERS_STORAGE_CONF="$RL_STATE/storage.conf" CONTAINERS_CONF="$RL_STATE/containers.conf")
info=$(rl podman info --format '{{.Host.Security.Rootless}} {{.Store.GraphDriverName}} {{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}} {{.Host.Slirp4NetNS.Executable}}' 2>"$WORK/rootless-info.err") ||
  { cat "$WORK/rootless-info.err"; exit 1; }
echo "podman info as $RL_USER: rootless storage runtime network-backend slirp4netns = $info"
check "rootless: podman runs rootless for $RL_USER, overlay storage, runc ($info)" \
  test "$(echo "$info" | cut -d' ' -f1-3)" = 'true overlay runc'

started=$SECONDS
podman save "$BASE_IMAGE" 2>"$WORK/rootless-save.err" | rl podman load --quiet >"$WORK/rootless-load.out" 2>&1 ||
  { cat "$WORK/rootless-save.err" "$WORK/rootless-load.out"; exit 1; }
echo "podman save (root) | podman load ($RL_USER): $((SECONDS - started)) s"
check "rootless: the base image is in $RL_USER's storage (podman save | podman load)" \
  rl podman image exists "$BASE_IMAGE"

# ------------------------------------------------------------------------------------------------
step "berth listen in $BASE_IMAGE, rootless, -p 127.0.0.1:$RL_PORT:11112: echoscu/storescu → berth → storescp at 10.0.2.2"
RL_NS=berth-e2e-rl-$$
ip netns add "$RL_NS"
ip -n "$RL_NS" link set lo up
# in_rl_ns COMMAND...: a dcmtk tool in the namespace, bounded.
in_rl_ns() { ip netns exec "$RL_NS" env TCP_NODELAY=1 timeout 60 "$@"; }
rl_results="$WORK/rootless-results"
mkdir -p "$rl_results"
ip netns exec "$RL_NS" env TCP_NODELAY=1 timeout 300 storescp -aet PEER +xa +B -od "$rl_results" "$RL_PEER_PORT" &
RL_PEER_PID=$!
# Inside its own network namespace berth must listen on 0.0.0.0: rootlessport hands published
# connections to the container's address (10.0.2.100), not to its loopback. The spool is chowned
# (:U) to the image's user 10001 as mapped into the user's subordinate range.
ip netns exec "$RL_NS" "${rl_cmd[@]}" podman run -d --name "$RL_CONTAINER" --pull=never \
  --network slirp4netns:allow_host_loopback=true -p "127.0.0.1:$RL_PORT:11112" \
  -v "$listen/machine:/listen-machine:ro" -v "$RL_STATE/spool:/spool:U" --entrypoint berth "$BASE_IMAGE" \
  listen /listen-machine --host 0.0.0.0 --port 11112 --spool /spool --idle 1 \
  --dest "PEER@10.0.2.2:$RL_PEER_PORT" >/dev/null
answered=no
for _ in $(seq 1 60); do
  if in_rl_ns echoscu -aec BERTH 127.0.0.1 "$RL_PORT" >/dev/null 2>&1; then answered=yes; break; fi
  sleep 0.5
done
check "rootless: echoscu gets an answer through the published port 127.0.0.1:$RL_PORT" test "$answered" = yes
# published_on NETNS: the listening sockets on $RL_PORT ("-": the host's own namespace).
published_on() {
  if [ "$1" = - ]; then ss -Hltn "sport = :$RL_PORT"; else ip netns exec "$1" ss -Hltn "sport = :$RL_PORT"; fi |
    awk '{ print $4 }' | sort -u | paste -sd' '
}
check "rootless: the port is published on loopback only ($(published_on "$RL_NS")), nothing on the host's interfaces" \
  test "$(published_on "$RL_NS"),$(published_on -)" = "127.0.0.1:$RL_PORT,"
subuid_start=$(grep "^$RL_USER:" /etc/subuid | head -1 | cut -d: -f2)
berth_pid=$(rl podman inspect --format '{{.State.Pid}}' "$RL_CONTAINER")
berth_uid=$(stat -c %u "/proc/$berth_pid")
# Container uid 0 is the user itself; uid N ≥ 1 is the Nth subordinate uid, so 10001 → start + 10000.
check "rootless: berth runs as host uid $berth_uid (the image's 10001 in $RL_USER's subordinate range), not root" \
  test "$berth_uid" = "$((subuid_start + 10000))"
check 'rootless: storescu sends a 3-instance series through the published port' \
  in_rl_ns storescu -aec BERTH +sd +r 127.0.0.1 "$RL_PORT" "$listen/in"
for _ in $(seq 1 120); do
  [ "$(find "$rl_results" -type f | wc -l)" -ge 3 ] && break
  sleep 0.5
done
# The spool belongs to the user's subordinate uid now: read it from inside, as the README says.
status=$(rl podman exec "$RL_CONTAINER" berth listen --status --json --spool /spool | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(r.map((g)=>g.status+"/"+g.runs).join(","))')
check "rootless: the group ran once and was sent ($status)" test "$status" = sent/1
check 'rootless: storescp (reached from the container at 10.0.2.2) got the 3 derived instances' \
  test "$(find "$rl_results" -type f | wc -l)" = 3
check 'rootless: results are Part 10 (dcmftest), same study, a new series' derived_ok "$rl_results"
rl podman kill --signal TERM "$RL_CONTAINER" >/dev/null
code=$(timeout 90 "${rl_cmd[@]}" podman wait "$RL_CONTAINER" || echo timeout)
check "rootless: SIGTERM drains, berth exits 0 ($code)" test "$code" = 0
rl podman logs "$RL_CONTAINER" 2>&1 | tail -3 | cut -c1-160 | sed 's/^/  | /'

step "rootless: clean up ($RL_USER's containers and images, the namespace, the user)"
created=$RL_CREATED
rootless_cleanup
if [ -n "$created" ]; then
  check "rootless: once its containers are removed, no process of $RL_USER is left (${RL_LEFT:-none})" test -z "$RL_LEFT"
fi
