#!/usr/bin/env bash
# A sharded dissection run by a real Slurm, checked against one process: starts a single-node cluster on this
# machine (munged, slurmctld and slurmd, with their own key, sockets, ports, state and logs in a scratch folder),
# submits deploy/slurm/dissect-array.sbatch as `sbatch --array=0-2`, the merge as a job that depends on it, and
# compares the merged report with a one-process `unitscope dissect` (dissection.json and every picture, byte for
# byte). Stops its daemons and removes the scratch folder on exit.
#
#   bash deploy/slurm/test-array.sh          # needs Debian's slurm-wlm and munge, and the built CLI
#
# Exit status 0: same result; 1: it differs or a job failed; 77: Slurm or munge is not installed (skipped).
# Runs as root (munged then needs --force; jobs run as root) or as any user (the cluster is that user's).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
for tool in munged slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found (apt-get install slurm-wlm munge)"; exit 77; }
done
dll=${UNITSCOPE_CLI_DLL:-$repo/server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll}
[ -f "$dll" ] || dll=$repo/server/UnitScope.Cli/bin/Release/net10.0/unitscope.dll
[ -f "$dll" ] || { echo "unitscope is not built: dotnet build server/UnitScope.Cli" >&2; exit 1; }
export UNITSCOPE="dotnet $dll"

work=$(mktemp -d "${TMPDIR:-/tmp}/unitscope-slurm-XXXXXX")
stop() {
  local status=$?
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    for log in "$work"/*.log "$work"/jobs/*.out; do [ -f "$log" ] && { echo "--- $log"; tail -n 25 "$log"; }; done
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT
# munged wants every folder above its socket searchable by all (not listable: 711).
chmod 711 "$work"
mkdir -p "$work/state" "$work/spool" "$work/jobs"
user=$(id -un)
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))

# munge: its own key and socket, so no system munged is needed or disturbed.
head -c 1024 /dev/urandom > "$work/munge.key"
chmod 600 "$work/munge.key"
force=""; [ "$(id -u)" -eq 0 ] && force="--force"
munged $force --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed"

cat > "$work/slurm.conf" <<CONF
ClusterName=unitscope-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$host"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "^(idle|mixed|allocated)" && break
  sleep 1
done
sinfo -h -o "%P %T %c" | grep -qE "idle|mixed" || { echo "the Slurm node did not come up"; exit 1; }
echo "Slurm: single-node cluster $host up on 127.0.0.1:$port ($(sinfo -h -o '%c') CPUs)"

model=$repo/tests/fixtures/models/smallcnn_cifar.pth
common=(--input-size 32 --device cpu --batch-size 4 --top-images 4)
# The reference: one process over every image (it also generates the probe set into its cache).
$UNITSCOPE dissect "$model" --layer conv2,conv3 --data probe --probe-count 30 --probe-size 32 "${common[@]}" \
  --cache "$work/one-cache" --out "$work/one" > "$work/one.txt" 2> "$work/one.log"
# The shards and the merge get their own cache (the same probe set copied in), so no result comes from the reference's.
mkdir -p "$work/cache"
cp -r "$work"/one-cache/probe-* "$work/cache/"
data=(--data probe --probe-count 30 --probe-size 32 --cache "$work/cache")

array=$(sbatch --parsable --array=0-2 --chdir="$work/jobs" --output="$work/jobs/shard-%a.out" \
  "$repo/deploy/slurm/dissect-array.sbatch" "$model" conv2,conv3 probe "$work/partial" \
  --probe-count 30 --probe-size 32 --cache "$work/cache" "${common[@]}")
echo "Slurm: array job $array (shards 0-2) submitted"
sbatch --parsable --wait --dependency=afterok:"$array" --chdir="$work/jobs" --output="$work/jobs/merge.out" \
  --wrap "$UNITSCOPE dissect $model --layer conv2,conv3 ${data[*]} ${common[*]} --merge $work/partial --out $work/merged" >/dev/null
for i in 0 1 2; do sed -n 's/^/  /; /^  Shard/p' "$work/jobs/shard-$i.out"; done
[ -f "$work/merged/dissection.json" ] || { echo "the merge job wrote no report"; exit 1; }

if cmp -s "$work/one/dissection.json" "$work/merged/dissection.json" && diff -rq "$work/one/images" "$work/merged/images" >/dev/null; then
  echo "PASS: 3 Slurm array shards merged = one process (dissection.json and $(ls "$work/one/images" | wc -l) pictures identical)"
else
  echo "FAIL: the merged dissection differs from one process's"
  exit 1
fi
