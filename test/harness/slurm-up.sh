#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the Slurm executor's tests (test/unit/runner/
# slurm.test.ts, test/integration/suite/slurm.itest.ts). Idempotent: installs Debian's slurm-wlm and munge
# when missing, writes a munge key and a slurm.conf for this host (`hostname -s`, `nproc` CPUs, its memory),
# starts munged, slurmctld and slurmd as plain daemons (no systemd, no cgroups: this works in a container or
# a VM), waits for the node to be idle and round-trips a 3-task job array. No accounting database: the
# executor's "squeue alone" path is what CI exercises.
#
#   bash test/harness/slurm-up.sh          bring the cluster up (or check it is up)
#   bash test/harness/slurm-up.sh --down   stop the three daemons
set -euo pipefail

sudo=$([ "$(id -u)" = 0 ] || echo sudo)
log() { echo "[slurm-up] $*"; }
die() { echo "[slurm-up] error: $*" >&2; exit 1; }

stop_daemon() {
  local name=$1 pid
  for pid in $(pgrep -x "$name" || true); do $sudo kill "$pid" 2>/dev/null || true; done
  # slurmctld saves its state before it exits: wait for it, so that a restart does not find it running.
  for _ in $(seq 100); do pgrep -x "$name" >/dev/null || return 0; sleep 0.1; done
  for pid in $(pgrep -x "$name" || true); do $sudo kill -9 "$pid" 2>/dev/null || true; done
}

if [ "${1:-}" = "--down" ]; then
  stop_daemon slurmd; stop_daemon slurmctld; stop_daemon munged
  log "stopped"
  exit 0
fi

# 1. Packages.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
  || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge (apt)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
# Leave the OS some memory; --mem requests are checked against RealMemory.
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
conf_dir=/etc/slurm
[ -d /etc/slurm-llnl ] && [ ! -d /etc/slurm ] && conf_dir=/etc/slurm-llnl

# 2. Munge: a key readable by munge only, its run/log dirs, the daemon.
$sudo mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "writing /etc/munge/munge.key"
  $sudo dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
$sudo chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
$sudo chmod 0700 /etc/munge /var/lib/munge /var/log/munge
$sudo chmod 0755 /run/munge
$sudo chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  stop_daemon munged
  log "starting munged"
  $sudo runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n </dev/null | unmunge >/dev/null || die "munged does not answer (see /var/log/munge/munged.log)"
fi

# 3. slurm.conf for this host. Rewritten (and the daemons restarted) only when it changes.
conf=$(cat <<EOF
# Written by test/harness/slurm-up.sh for a single-node test cluster on ${host}.
ClusterName=wdlab
SlurmctldHost=${host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# Job credentials live 10 s (default 120): this is also how long a requeued job waits before it may start
# again, and the tests requeue a task.
AuthInfo=cred_expire=10
CredType=cred/munge
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (containers, VMs without delegation): track job processes by their parent chain.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# Scheduling passes every second (defaults: 60 s main, 30 s backfill): a job held by --begin, or one whose
# array slot frees up, starts within a second or two rather than at the next pass up to a minute later.
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# Seconds between a job's SIGTERM (time limit, scancel) and its SIGKILL; the trainer checkpoints within it.
KillWait=10
MinJobAge=300
InactiveLimit=0
Waittime=0
NodeName=${host} CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
)
$sudo mkdir -p "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
restart=0
if [ "$(cat "$conf_dir/slurm.conf" 2>/dev/null || true)" != "$conf" ]; then
  log "writing $conf_dir/slurm.conf (${host}, ${cpus} CPUs, ${mem_mb} MB)"
  printf '%s\n' "$conf" | $sudo tee "$conf_dir/slurm.conf" >/dev/null
  restart=1
fi

# 4. The daemons.
if [ "$restart" = 1 ]; then stop_daemon slurmd; stop_daemon slurmctld; fi
if ! pgrep -x slurmctld >/dev/null; then
  log "starting slurmctld"
  $sudo /usr/sbin/slurmctld
fi
if ! pgrep -x slurmd >/dev/null; then
  log "starting slurmd"
  $sudo /usr/sbin/slurmd
fi

state=""
for _ in $(seq 60); do
  state=$(timeout 5 sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)
  case "$state" in
    idle | mixed | allocated) break ;;
    down* | drain* | fail*) $sudo scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle | mixed | allocated) ;;
  *) die "node ${host} is '${state:-unknown}', not idle (see /var/log/slurm/slurmctld.log and slurmd.log)" ;;
esac

# 5. A round trip: a 3-task array writes its task ids.
out=$(mktemp -d)
chmod 0777 "$out"
job=$(sbatch --parsable --array=0-2 --output="$out/%a.out" --wrap 'echo $SLURM_ARRAY_TASK_ID') \
  || die "sbatch failed"
for _ in $(seq 120); do
  [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && break
  sleep 0.25
done
got=$(cat "$out"/0.out "$out"/1.out "$out"/2.out 2>/dev/null | tr '\n' ' ')
rm -rf "$out"
[ "$got" = "0 1 2 " ] || die "the test array ${job} wrote '${got}', expected '0 1 2'"
log "up: node ${host} ${state}, ${cpus} CPUs, partition debug; array job ${job} round-tripped"
