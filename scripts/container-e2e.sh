#!/usr/bin/env bash
# Container end-to-end test of berth's images, on a host with no container registry:
#   1. installs Debian's buildah, podman, runc, debootstrap, dcmtk and iproute2 when missing (fails if
#      it cannot);
#   2. builds a stand-in node:20-bookworm-slim: debootstrap + Node 20 and npm from the npm
#      registry (cached per day under $BERTH_CI_CACHE, default /var/cache/berth-ci);
#   3. builds berth's base image (the top-level Dockerfile) with buildah, and the sample machine's
#      image with `berth build`;
#   4. runs every sample case through `berth test --driver container`, probes the platform's
#      settings inside the sample image (read-only input, no network, not root), runs the image
#      directly on the not-applicable case and reads the reason `berth exec` left in
#      /envoyai/status/error, runs a plain image (no berth) through the container driver, and
#      checks that the LABELs read back from `podman image inspect` are the manifest; runs hostile
#      machines (status files and outputs linked to a host file, or FIFOs): no hang, no leak;
#   5. runs `berth listen` as the base image's command in a network namespace of its own (loopback
#      only): dcmtk echoscu/storescu from the host → berth in the container → a dcmtk storescp;
#   6. runs the same under rootless podman, as an unprivileged user the script creates, with the
#      DICOM port published by `-p 127.0.0.1:PORT:11112` (scripts/container-e2e-rootless.sh).
# Everything lives in a private podman storage under one temporary folder, removed on exit
# (failures included). The last line is "N passed, N failed" of the checks below.
#
# Usage: scripts/container-e2e.sh          (as root, after `npm ci`, which builds berth)
# Environment: BERTH_CI_CACHE (cache folder; empty: no cache), BERTH_DEBIAN_MIRROR (default: the
# host's apt sources), BERTH_E2E_KEEP=1 (keep the work folder for debugging).
set -euo pipefail
cd "$(dirname "$0")/.."
# The caller's podman/buildah configuration must not leak in: this script sets its own below.
unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
ROOT=$PWD
STARTED=$SECONDS
PASSED=0
FAILED=0
CURRENT_STEP='start'
WORK=''
LISTEN_NS=''
LISTEN_PEER_PID=''

STANDIN=docker.io/library/node:20-bookworm-slim
BASE_IMAGE=localhost/berth:latest
SAMPLE_IMAGE=localhost/berth-sample:e2e
PLAIN_IMAGE=localhost/berth-plain:e2e
HOSTILE_IMAGE=localhost/berth-hostile:e2e

step() {
  CURRENT_STEP=$*
  printf '\n==> [%3ss] %s\n' "$((SECONDS - STARTED))" "$*"
}
ok() {
  PASSED=$((PASSED + 1))
  echo "ok    $*"
}
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL  $*"
}
# check DESCRIPTION COMMAND...: one counted check.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
berth() { node "$ROOT/dist/cli/berth.js" "$@"; }
# json FILE EXPRESSION: a value from a JSON file (`j` is the document).
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=(0,eval)("(j)=>"+process.argv[2])(j);console.log(typeof v==="string"?v:JSON.stringify(v))' "$1" "$2"; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    fail "step failed: $CURRENT_STEP (exit $rc)"
  fi
  if [ -n "$LISTEN_PEER_PID" ]; then kill "$LISTEN_PEER_PID" 2>/dev/null; fi
  if [ -n "$LISTEN_NS" ]; then ip netns del "$LISTEN_NS" 2>/dev/null; fi
  if declare -F rootless_cleanup >/dev/null; then rootless_cleanup; fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    step 'clean up'
    if [ -n "${CONTAINERS_STORAGE_CONF:-}" ]; then
      podman rm --all --force --time 0 >/dev/null 2>&1
      buildah rm --all >/dev/null 2>&1
      podman rmi --all --force >/dev/null 2>&1
    fi
    # Whatever the engines left mounted under the work folder (overlay layers, shm), deepest first.
    awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null; done
    if [ "${BERTH_E2E_KEEP:-}" = 1 ]; then
      echo "kept $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  echo "container-e2e: finished in $((SECONDS - STARTED)) s"
  echo "$PASSED passed, $FAILED failed"
  if [ "$rc" -eq 0 ] && [ "$FAILED" -gt 0 ]; then rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------------------------
step 'container tooling (Debian: buildah podman runc debootstrap dcmtk iproute2 slirp4netns uidmap)'
if [ "$(id -u)" -ne 0 ]; then
  echo "container-e2e: must run as root (rootful podman, debootstrap)" >&2
  exit 1
fi
TOOLS=(buildah podman runc debootstrap storescu ip slirp4netns newuidmap)
# package_of TOOL: the Debian package that ships it.
package_of() { case $1 in storescu) echo dcmtk ;; ip) echo iproute2 ;; newuidmap) echo uidmap ;; *) echo "$1" ;; esac; }
missing=()
for tool in "${TOOLS[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$(package_of "$tool")")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || {
    echo "container-e2e: ${missing[*]} missing and there is no apt-get to install them" >&2
    exit 1
  }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"
for tool in "${TOOLS[@]}"; do command -v "$tool" >/dev/null || exit 1; done
echo "buildah $(buildah --version | awk '{print $3}'), podman $(podman --version | awk '{print $3}'), $(runc --version | head -1)"

step 'berth itself (built by npm ci)'
if [ ! -f dist/cli/berth.js ] || [ ! -f sample-machine/dist/main.js ]; then npm run build; fi
echo "berth $(berth --version)"

WORK=$(mktemp -d /tmp/berth-e2e.XXXXXX)
chmod 0755 "$WORK"
mkdir -p "$WORK/state" "$WORK/tmp" "$WORK/runs"
# berth's run folders and the builders' temporary files all land under the work folder.
export TMPDIR="$WORK/tmp"
# The private podman/buildah configuration, exactly the one berth's container driver writes.
node --input-type=module -e '
  import { writeFileSync } from "node:fs";
  const [dist, state] = process.argv.slice(1);
  const { storageConf, containersConf } = await import(dist + "/harness/drivers/container.js");
  writeFileSync(state + "/storage.conf", storageConf(state));
  writeFileSync(state + "/containers.conf", containersConf(state));
' "$ROOT/dist" "$WORK/state"
export CONTAINERS_STORAGE_CONF="$WORK/state/storage.conf"
export CONTAINERS_CONF="$WORK/state/containers.conf"
REGISTRY=$(npm config get registry 2>/dev/null)
echo "work folder $WORK; npm registry $REGISTRY"

# ------------------------------------------------------------------------------------------------
step "stand-in $STANDIN (debootstrap + Node 20 from the npm registry)"
case "$(uname -m)" in
  x86_64) NODE_ARCH=x64 ;;
  aarch64) NODE_ARCH=arm64 ;;
  *) echo "container-e2e: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
CACHE=${BERTH_CI_CACHE-/var/cache/berth-ci}
if [ -n "$CACHE" ] && ! mkdir -p "$CACHE" 2>/dev/null; then CACHE=''; fi
# One root filesystem a day: Debian's security updates and Node's patch releases come in daily.
ROOTFS_TAR=${CACHE:+$CACHE/node-20-bookworm-slim-$NODE_ARCH-$(date -u +%Y%m%d).tar}
if [ -n "$ROOTFS_TAR" ] && [ -s "$ROOTFS_TAR" ]; then
  echo "cached: $ROOTFS_TAR"
else
  mirror=${BERTH_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    # The host's own Debian mirror: a deb822 stanza or a one-line entry for the main archive.
    mirror=$(awk 'BEGIN { RS = "" } {
        uris = ""; n = split($0, line, "\n")
        for (i = 1; i <= n; i++) if (line[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line[i]); uris = line[i] }
        split(uris, u, /[ \t]+/)
        if (u[1] != "" && u[1] !~ /security/) { print u[1]; exit }
      }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  fi
  if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } break } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  if [ -z "$mirror" ]; then
    echo "container-e2e: no Debian mirror in the host's apt sources; set BERTH_DEBIAN_MIRROR" >&2
    exit 1
  fi
  echo "debootstrap bookworm from $mirror"
  rootfs="$WORK/rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log"; exit 1; }
  echo "Node: npm pack node-linux-$NODE_ARCH@20 npm@10"
  mkdir -p "$WORK/pkgs"
  (cd "$WORK/pkgs" && npm pack "node-linux-$NODE_ARCH@20" npm@10 >"$WORK/pkgs/pack.log" 2>&1) ||
    { tail -20 "$WORK/pkgs/pack.log"; exit 1; }
  mkdir -p "$WORK/pkgs/node" "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$WORK"/pkgs/node-linux-"$NODE_ARCH"-*.tgz -C "$WORK/pkgs/node"
  install -m 0755 "$WORK/pkgs/node/package/bin/node" "$rootfs/usr/local/bin/node"
  tar -xzf "$WORK"/pkgs/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # RUN npm ci inside the builds goes through this host's TLS interception, if any.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    # (TMPDIR points into the work folder, which the chroot cannot see.)
    TMPDIR=/tmp chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  fi
  # What the real slim image leaves out too.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs/etc/resolv.conf"
  out=${ROOTFS_TAR:-$WORK/rootfs.tar}
  tar --numeric-owner -C "$rootfs" -cf "$out.part.$$" .
  mv "$out.part.$$" "$out"
  ROOTFS_TAR=$out
  rm -rf "$rootfs" "$WORK/pkgs"
  # Older days' root filesystems.
  if [ -n "$CACHE" ]; then
    find "$CACHE" -maxdepth 1 -name "node-20-bookworm-slim-$NODE_ARCH-*.tar" ! -path "$ROOTFS_TAR" -delete
  fi
fi
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$ROOTFS_TAR" "$STANDIN" >/dev/null
echo "node $(podman run --rm --pull=never "$STANDIN" node --version), npm $(podman run --rm --pull=never "$STANDIN" npm --version 2>/dev/null)"

# ------------------------------------------------------------------------------------------------
step "base image $BASE_IMAGE (buildah bud, Dockerfile)"
# npm's download cache survives between CI runs (only the build stage's RUN npm ci uses it).
npm_cache=()
if [ -n "$CACHE" ] && mkdir -p "$CACHE/npm"; then npm_cache=(--volume "$CACHE/npm:/root/.npm"); fi
buildah bud --isolation chroot --pull=never --build-arg "npm_config_registry=$REGISTRY" "${npm_cache[@]}" \
  --tag "$BASE_IMAGE" --file Dockerfile . >"$WORK/base-build.log" 2>&1 ||
  { tail -30 "$WORK/base-build.log"; exit 1; }
grep -E '^(\[[0-9]+/[0-9]+\] )?STEP' "$WORK/base-build.log" | cut -c1-110 || true
size_of() { podman image inspect --format '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# in_base SCRIPT: runs a shell script in the base image (as its own user, entrypoint bypassed).
in_base() { podman run --rm --pull=never --network none --entrypoint /bin/sh "$BASE_IMAGE" -c "$1"; }
in_base_as_root() { podman run --rm --pull=never --network none --user 0 --entrypoint /bin/sh "$BASE_IMAGE" -c "$1"; }
check 'base image: berth is on PATH and runs' in_base 'berth --version >/dev/null'
check "base image: machine code in any folder imports 'berth' (ESM)" in_base \
  'mkdir -p /tmp/a/b && cd /tmp/a/b && echo "import { openMachine, VERSION } from \"berth\"; if (typeof openMachine !== \"function\") process.exit(1); console.log(VERSION);" > m.mjs && node m.mjs >/dev/null && cd / && node /tmp/a/b/m.mjs >/dev/null'
# shellcheck disable=SC2016 # expanded inside the container
check 'base image: runs as uid 10001, which owns /envoyai/output and /envoyai/status only' in_base \
  'test "$(id -u)" = 10001 && test "$(stat -c %u /envoyai/output)" = 10001 && test "$(stat -c %u /envoyai/status)" = 10001 && test "$(stat -c %u /envoyai/input)" = 0'
check 'base image: production dependencies only (no TypeScript, mocha, eslint; no npm cache)' in_base_as_root \
  'cd /usr/local/lib/node_modules/berth && test -d node_modules/ajv && test ! -e node_modules/typescript && test ! -e node_modules/mocha && test ! -e node_modules/eslint && test ! -e src && test ! -d /root/.npm/_cacache'
entry=$(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.User}}' "$BASE_IMAGE")
check "base image: exec-form ENTRYPOINT berth exec, USER 10001 ($entry)" \
  test "$entry" = '["berth","exec","--"] "10001:10001"'

# ------------------------------------------------------------------------------------------------
step "sample machine image $SAMPLE_IMAGE (berth build sample-machine)"
berth build sample-machine --engine buildah --tag "$SAMPLE_IMAGE" \
  --build-arg "npm_config_registry=$REGISTRY" >"$WORK/sample-image.txt" 2>"$WORK/sample-build.log" ||
  { tail -30 "$WORK/sample-build.log"; exit 1; }
grep -E '^(berth build|STEP)' "$WORK/sample-build.log" | cut -c1-110 || true
check "berth build prints the image name ($(cat "$WORK/sample-image.txt"))" \
  grep -qx "$SAMPLE_IMAGE" "$WORK/sample-image.txt"

podman image inspect "$SAMPLE_IMAGE" >"$WORK/inspect.json"
check 'LABELs: berth check accepts the image'"'"'s podman inspect JSON' \
  berth check "$WORK/inspect.json"
same_manifest() {
  node --input-type=module -e '
    const [dist, a, b] = process.argv.slice(1);
    const { loadManifestFile } = await import(dist + "/tools.js");
    const { sameJson } = await import(dist + "/manifest/label-value.js");
    const [x, y] = await Promise.all([loadManifestFile(a), loadManifestFile(b)]);
    if (!sameJson(x.document, y.document)) {
      console.error(JSON.stringify(x.document), "\n!=\n", JSON.stringify(y.document));
      process.exit(1);
    }' "$ROOT/dist" "$1" "$2"
}
check 'LABELs: the manifest read back from the image equals sample-machine/machine.yaml' \
  same_manifest "$WORK/inspect.json" sample-machine/machine.yaml

# ------------------------------------------------------------------------------------------------
step "every sample case: berth test sample-machine --driver container --image $SAMPLE_IMAGE"
set +e
berth test sample-machine --driver container --engine podman --image "$SAMPLE_IMAGE" | tee "$WORK/test.txt"
set -e
for c in sample-machine/cases/*/; do
  name=$(basename "$c")
  if grep -qE "^ok +$name: " "$WORK/test.txt"; then
    ok "case $name: $(grep -E "^ok +$name: " "$WORK/test.txt" | sed -E 's/^ok +//')"
  else
    fail "case $name: $(grep -E " $name: " "$WORK/test.txt" || echo 'not run')"
  fi
done

# ------------------------------------------------------------------------------------------------
step 'the normal case once more, kept: berth exec ran inside and passed'
run_kept() { # run_kept CASE REPORT
  set +e
  berth run sample-machine --driver container --engine podman --image "$SAMPLE_IMAGE" \
    --case "sample-machine/cases/$1" --keep --json >"$2"
  local code=$?
  set -e
  echo "berth run --case $1: exit $code, outcome $(json "$2" j.outcome)"
}
run_kept normal "$WORK/normal.json"
NORMAL_RUN=$(dirname "$(json "$WORK/normal.json" j.trees.input)")
check 'normal case: passed' test "$(json "$WORK/normal.json" j.outcome)" = passed
check "normal case: berth exec checked the outputs in the container (stderr: $(grep -h 'berth exec:' "$NORMAL_RUN/logs/stderr.txt" | head -1))" \
  grep -q '^berth exec: passed' "$NORMAL_RUN/logs/stderr.txt"

# plan DIR IMAGE [ENTRYPOINT [ARGS...]]: the container driver's own `podman run` arguments for
# the trees under DIR (input, output, status, machine.yaml), NUL-separated.
plan() {
  node --input-type=module -e '
    const [dist, dir, image, entrypoint, ...command] = process.argv.slice(1);
    const { containerArgs } = await import(dist + "/harness/drivers/container.js");
    const spec = { command, cwd: "/", input: dir + "/input", output: dir + "/output", status: dir + "/status",
      manifest: dir + "/machine.yaml", env: {}, network: false, nvidia: false, image };
    const { args } = containerArgs(spec, { engine: "podman", name: "berth-e2e-" + process.pid, gpu: false });
    if (entrypoint) args.splice(args.indexOf("--name"), 0, "--entrypoint", entrypoint);
    process.stdout.write(args.join("\0"));' "$ROOT/dist" "$@"
}
# fresh_trees DIR INPUT: DIR/{input (a copy of INPUT), output, status, machine.yaml} as the driver prepares them.
fresh_trees() {
  mkdir -p "$1/output" "$1/status"
  cp -a "$2" "$1/input"
  cp sample-machine/machine.yaml "$1/machine.yaml"
  chmod -R a+rX "$1/input" "$1/machine.yaml"
  chown -R 10001:10001 "$1/output" "$1/status"
}

step 'inside the sample container, with the driver'"'"'s settings: read-only input, no network, not root'
fresh_trees "$WORK/runs/probe" "$NORMAL_RUN/input"
probe='const fs = require("fs"), os = require("os"), net = require("net");
const r = { uid: process.getuid(), gid: process.getgid() };
const tryWrite = (f) => { try { fs.writeFileSync(f, "x"); fs.unlinkSync(f); return "writable"; } catch (e) { return e.code; } };
r.input = tryWrite("/envoyai/input/probe");
r.root = tryWrite("/machine/probe");
r.output = tryWrite("/envoyai/output/probe");
r.inputEntries = fs.readdirSync("/envoyai/input").length;
r.interfaces = Object.keys(os.networkInterfaces());
const s = net.connect({ host: "192.0.2.1", port: 9 });
const done = (v) => { r.connect = r.connect || v; s.destroy(); console.log(JSON.stringify(r)); process.exit(0); };
s.on("error", (e) => done(e.code)); s.on("connect", () => done("connected")); setTimeout(() => done("timeout"), 3000);'
mapfile -d '' args < <(plan "$WORK/runs/probe" "$SAMPLE_IMAGE" node -e "$probe")
podman "${args[@]}" >"$WORK/probe.json" 2>"$WORK/probe.err" || { cat "$WORK/probe.err"; }
echo "probe: $(cat "$WORK/probe.json")"
check 'probe: runs as uid 10001 (not root)' test "$(json "$WORK/probe.json" j.uid)" = 10001
check 'probe: the input tree is there and read-only (EROFS)' \
  test "$(json "$WORK/probe.json" '[j.input, j.inputEntries > 0]')" = '["EROFS",true]'
check 'probe: the image is read-only (EROFS) and the output tree writable' \
  test "$(json "$WORK/probe.json" '[j.root, j.output]')" = '["EROFS","writable"]'
check 'probe: no network (loopback only, connect fails)' \
  test "$(json "$WORK/probe.json" '[j.interfaces.filter((i) => i !== "lo").length, j.connect !== "connected" && j.connect !== "timeout"]')" = '[0,true]'

# ------------------------------------------------------------------------------------------------
step 'the not-applicable case run directly with podman: berth exec explains it in /envoyai/status/error'
run_kept wrong-modality "$WORK/wrong.json"
check 'wrong-modality: berth run stops it as not-applicable' test "$(json "$WORK/wrong.json" j.outcome)" = not-applicable
fresh_trees "$WORK/runs/wrong" "$(json "$WORK/wrong.json" j.trees.input)"
mapfile -d '' args < <(plan "$WORK/runs/wrong" "$SAMPLE_IMAGE")
set +e
podman "${args[@]}" >"$WORK/wrong.out" 2>&1
code=$?
set -e
echo "podman run (entrypoint berth exec, CMD node dist/main.js): exit $code"
sed 's/^/  | /' "$WORK/wrong.out"
echo "  /envoyai/status/error:"
sed 's/^/  | /' "$WORK/runs/wrong/status/error" 2>/dev/null || true
check 'wrong-modality in the image: exit 15 (not-applicable)' test "$code" = 15
check 'wrong-modality in the image: status/error names the modality constraint' \
  grep -q 'BERTH_E_DICOM_MODALITY' "$WORK/runs/wrong/status/error"
check 'wrong-modality in the image: the machine never ran (no outputs)' \
  test -z "$(ls -A "$WORK/runs/wrong/output")"

# ------------------------------------------------------------------------------------------------
step "a plain image without berth ($PLAIN_IMAGE) through the container driver: its own CMD runs"
plain="$WORK/plain-machine"
mkdir -p "$plain/cases/answer"
printf '%s\n' 'metadata-version: 2' 'info:' '  name: plain' 'schema-in: {}' 'schema-out:' '  answer:' '    type: integer' \
  >"$plain/machine.yaml"
printf '%s\n' 'inputs: {}' 'expected:' '  outcome: passed' '  outputs:' '    answer: 42' >"$plain/cases/answer/case.yaml"
printf '%s\n' "FROM $STANDIN" \
  'CMD ["node", "-e", "require(\"fs\").writeFileSync(\"/envoyai/output/answer\", \"42\")"]' >"$plain/Dockerfile"
buildah bud --isolation chroot --pull=never --tag "$PLAIN_IMAGE" "$plain" >"$WORK/plain-build.log" 2>&1 ||
  { tail -20 "$WORK/plain-build.log"; exit 1; }
check 'plain image: berth test passes with the image'"'"'s own CMD' \
  berth test "$plain" --driver container --engine podman --image "$PLAIN_IMAGE"

# ------------------------------------------------------------------------------------------------
step "hostile machines ($HOSTILE_IMAGE) through the container driver: status files and outputs linked to a host file, or FIFOs"
# test/harness/hostile.test.ts runs the same kind of machines under the process and sandbox drivers.
hostile="$WORK/hostile-machine"
secret_dir="$WORK/host-secret"
canary="CANARY-container-$RANDOM$RANDOM"
mkdir -p "$hostile" "$secret_dir"
chmod 700 "$secret_dir"
printf '%s\n' "$canary" >"$secret_dir/secret"
printf '%s\n' 'metadata-version: 2' 'info:' '  name: hostile' 'schema-in:' '  mode: {type: string}' \
  'schema-out:' '  echo: {type: string}' 'timeout: 2' >"$hostile/machine.yaml"
{
  echo '#!/bin/sh'
  echo 'mode=$(cat /envoyai/input/mode)'
  echo 'for n in progress warn error; do'
  echo "  if [ \"\$mode\" = symlink ]; then ln -s '$secret_dir/secret' \"/envoyai/status/\$n\"; else mkfifo \"/envoyai/status/\$n\"; fi"
  echo 'done'
  echo "if [ \"\$mode\" = symlink ]; then ln -s '$secret_dir/secret' /envoyai/output/echo; else mkfifo /envoyai/output/echo; fi"
} >"$hostile/main.sh"
printf '%s\n' "FROM $STANDIN" 'COPY main.sh /main.sh' 'CMD ["sh", "/main.sh"]' >"$hostile/Dockerfile"
buildah bud --isolation chroot --pull=never --tag "$HOSTILE_IMAGE" "$hostile" >"$WORK/hostile-build.log" 2>&1 ||
  { tail -20 "$WORK/hostile-build.log"; exit 1; }
for mode in symlink fifo; do
  mkdir -p "$hostile/cases/$mode"
  printf 'inputs:\n  mode: %s\n' "$mode" >"$hostile/cases/$mode/case.yaml"
  set +e
  timeout 180 node "$ROOT/dist/cli/berth.js" run "$hostile" --case "$hostile/cases/$mode" --driver container \
    --engine podman --image "$HOSTILE_IMAGE" --report "$WORK/hostile-$mode.json" --report "$WORK/hostile-$mode.html" \
    >"$WORK/hostile-$mode.out" 2>&1
  code=$?
  set -e
  sed 's/^/  | /' "$WORK/hostile-$mode.out"
  check "hostile $mode: the run ends by itself (berth run exit $code, not killed by the 180 s bound)" test "$code" -ne 124
  check "hostile $mode: the host file is in no report (terminal, JSON, HTML)" \
    sh -c '! grep -q "$1" "$2.out" "$2.json" "$2.html"' _ "$canary" "$WORK/hostile-$mode"
  if [ "$mode" = symlink ]; then want=BERTH_E_TREE_SYMLINK; else want=BERTH_E_TREE_SPECIAL; fi
  check "hostile $mode: the three status files are $want findings" \
    test "$(json "$WORK/hostile-$mode.json" 'j.status.findings.map((f) => f.code).join(",")')" = "$want,$want,$want"
  check "hostile $mode: the output is refused with $want" \
    test "$(json "$WORK/hostile-$mode.json" "j.outputFindings.some((f) => f.code === '$want')")" = true
done

# ------------------------------------------------------------------------------------------------
step "berth listen as the command of $BASE_IMAGE: echoscu/storescu → berth in the container → storescp"
# One network namespace of the test's own (loopback only): the container joins it (--network
# ns:…), the dcmtk peers run in it; nothing listens on the host's interfaces. berth keeps
# --host 127.0.0.1 (the namespace is shared, as with --network host). The machine is a folder
# mounted read-only: a node script deriving a series with berth/tools, run by the process driver
# inside the container.
LISTEN_NS=berth-e2e-$$
listen="$WORK/listen"
mkdir -p "$listen/machine" "$listen/spool" "$listen/results"
chown 10001:10001 "$listen/spool"
printf '%s\n' 'metadata-version: 2' 'info: {name: listen-in-image}' 'schema-in:' \
  '  ct: {dicom-type: dicom-series, modalities: [CT]}' 'schema-out:' '  derived: {dicom-type: dicom-series}' \
  'timeout: 60' 'berth:' '  command: [node, /listen-machine/derive.mjs]' >"$listen/machine/machine.yaml"
printf '%s\n' "import path from 'node:path';" "import { deriveSeries } from 'berth/tools';" \
  "await deriveSeries(path.join(process.env.BERTH_INPUT, 'ct'), path.join(process.env.BERTH_OUTPUT, 'derived'), (h) => ({" \
  '  data: new Uint16Array(h.Rows * h.Columns), rows: h.Rows, columns: h.Columns,' '}));' >"$listen/machine/derive.mjs"
chmod -R a+rX "$listen/machine"
STUDY=$(node --input-type=module -e '
  const [dist, dir] = process.argv.slice(1);
  const { writeSeries } = await import(dist + "/dicom/synth.js");
  console.log((await writeSeries(dir, { instances: 3, seed: 15 })).studyInstanceUid);' "$ROOT/dist" "$listen/in")
ip netns add "$LISTEN_NS"
ip -n "$LISTEN_NS" link set lo up
# in_ns COMMAND...: a dcmtk tool in the namespace, bounded.
in_ns() { ip netns exec "$LISTEN_NS" env TCP_NODELAY=1 timeout 60 "$@"; }
ip netns exec "$LISTEN_NS" env TCP_NODELAY=1 timeout 300 storescp -aet PEER +xa +B -od "$listen/results" 11113 &
LISTEN_PEER_PID=$!
podman run -d --name berth-listen-e2e --pull=never --network "ns:/run/netns/$LISTEN_NS" \
  -v "$listen/machine:/listen-machine:ro" -v "$listen/spool:/spool" --entrypoint berth "$BASE_IMAGE" \
  listen /listen-machine --host 127.0.0.1 --port 11112 --http-port 18080 --spool /spool --idle 1 \
  --dest PEER@127.0.0.1:11113 >/dev/null
answered=no
for _ in $(seq 1 60); do
  if in_ns echoscu -aec BERTH 127.0.0.1 11112 >/dev/null 2>&1; then answered=yes; break; fi
  sleep 0.5
done
check 'listen in the image: echoscu gets an answer' test "$answered" = yes
check 'listen in the image: the STOW-RS server (fastify) listens too' \
  sh -c 'podman logs berth-listen-e2e 2>&1 | grep "\"listen.started\"" | grep -q "stow http://127.0.0.1:18080/dicom-web"'
check 'listen in the image: storescu sends a 3-instance series' in_ns storescu -aec BERTH +sd +r 127.0.0.1 11112 "$listen/in"
for _ in $(seq 1 120); do
  [ "$(find "$listen/results" -type f | wc -l)" -ge 3 ] && break
  sleep 0.5
done
status=$(berth listen --status --json --spool "$listen/spool" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(r.map((g)=>g.status+"/"+g.runs).join(","))')
check "listen in the image: the group ran once and was sent ($status)" test "$status" = sent/1
check 'listen in the image: storescp got the 3 derived instances' test "$(find "$listen/results" -type f | wc -l)" = 3
# uid FILE TAG: one UID of a file (dcmdump).
uid() { dcmdump -q +P "$2" "$1" | sed -n 's/^.*\[\(.*\)\].*$/\1/p'; }
# derived_ok DIR: every file in DIR is a derived instance of the series in $listen/in.
derived_ok() {
  for f in "$1"/*; do
    dcmftest "$f" | grep -q '^yes:' || return 1
    [ "$(uid "$f" StudyInstanceUID)" = "$STUDY" ] || return 1
    [ "$(uid "$f" SeriesInstanceUID)" != "$(uid "$(find "$listen/in" -type f | head -1)" SeriesInstanceUID)" ] || return 1
  done
}
check 'listen in the image: results are Part 10 (dcmftest), same study, a new series' derived_ok "$listen/results"
podman kill --signal TERM berth-listen-e2e >/dev/null
code=$(timeout 90 podman wait berth-listen-e2e || echo timeout)
check "listen in the image: SIGTERM drains, berth exits 0 ($code)" test "$code" = 0
podman logs berth-listen-e2e 2>&1 | tail -4 | cut -c1-160 | sed 's/^/  | /'
podman rm -f -t 0 berth-listen-e2e >/dev/null
kill "$LISTEN_PEER_PID" 2>/dev/null || true
wait "$LISTEN_PEER_PID" 2>/dev/null || true
LISTEN_PEER_PID=''
ip netns del "$LISTEN_NS"
LISTEN_NS=''

# ------------------------------------------------------------------------------------------------
# The same node under rootless podman, its port published with -p.
# shellcheck source=scripts/container-e2e-rootless.sh
. "$ROOT/scripts/container-e2e-rootless.sh"

# ------------------------------------------------------------------------------------------------
step 'image sizes'
s_standin=$(size_of "$STANDIN")
s_base=$(size_of "$BASE_IMAGE")
s_sample=$(size_of "$SAMPLE_IMAGE")
echo "stand-in $STANDIN: $(mb "$s_standin")"
echo "base     $BASE_IMAGE: $(mb "$s_base") (berth adds $(mb $((s_base - s_standin))))"
echo "sample   $SAMPLE_IMAGE: $(mb "$s_sample") (the machine adds $(mb $((s_sample - s_base))))"
check "base image: berth adds under 60 MB to Node's image" test $((s_base - s_standin)) -lt 60000000
