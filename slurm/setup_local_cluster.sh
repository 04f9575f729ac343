#!/usr/bin/env bash
# Install and start a single-node Slurm cluster WITH accounting on this
# Debian/Ubuntu machine, for strikebench's Slurm tests and for trying the
# launchers locally.  Run as root.  Idempotent: when the cluster is already up
# with the same configuration it only checks it (about a second) and exits.
#
#   sudo slurm/setup_local_cluster.sh      # then: sinfo, sbatch, sacct ...
#   sudo slurm/stop_local_cluster.sh       # stops the daemons again
#
# Daemons are started directly (no systemd needed, works in containers):
#   munged -> mariadbd -> slurmdbd -> slurmctld -> slurmd
# Accounting (slurmdbd + MariaDB) is not optional: submitit polls `sacct` for
# job states, and without it never learns that a job was cancelled or killed,
# so `job.result()` hangs forever.
#
# Environment overrides (all optional):
#   SLURM_CLUSTER_NAME  cluster name in slurm.conf and the accounting DB (strikebench)
#   SLURM_PARTITION     name of the single, default partition          (debug)
#   SLURM_WAIT_S        seconds to wait for each daemon to come up       (60)
set -euo pipefail

CLUSTER=${SLURM_CLUSTER_NAME:-strikebench}
PARTITION=${SLURM_PARTITION:-debug}
WAIT_S=${SLURM_WAIT_S:-60}
ACCOUNT=strikebench

CONF_DIR=/etc/slurm
LOG_DIR=/var/log/slurm
STATE_DIR=/var/lib/slurm/slurmctld   # created and chowned to `slurm` by the Debian package
SPOOL_DIR=/var/lib/slurm/slurmd
DB_NAME=slurm_acct_db
DB_USER=slurm
# Local throw-away cluster: MariaDB only listens on localhost, so a fixed
# password is fine here.  Never reuse this script's config on a shared machine.
DB_PASS=strikebench-local-only

PACKAGES=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)

say()  { echo "[setup_local_cluster] $*"; }
die() {
    echo "[setup_local_cluster] ERROR: $*" >&2
    # Show the end of the daemon logs: the reason is almost always in there.
    for f in "$LOG_DIR"/slurmctld.log "$LOG_DIR"/slurmd.log "$LOG_DIR"/slurmdbd.log \
             /var/log/munge/munged.log "$LOG_DIR"/mariadb-start.log /var/log/mysql/error.log; do
        [[ -s $f ]] && { echo "----- tail $f" >&2; tail -n 15 "$f" >&2; }
    done
    exit 1
}

# wait_for DESCRIPTION CMD...: retry CMD (quietly) for up to $WAIT_S seconds.
wait_for() {
    local what=$1; shift
    local deadline=$((SECONDS + WAIT_S))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after ${WAIT_S}s waiting for $what"
        sleep 0.5
    done
}

# is_running PIDFILE: the daemon named like the pid file (/run/slurmd.pid ->
# slurmd) runs with that pid.  The name check guards against a stale pid file
# whose pid now belongs to an unrelated process.
is_running() {
    local name pid
    name=$(basename "$1" .pid)
    [[ -s $1 ]] && pid=$(cat "$1") && [[ $pid =~ ^[0-9]+$ ]] &&
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

# stop_pidfile PIDFILE: stop a daemon we (or a previous run) started; only
# used when its config changed.
stop_pidfile() {
    is_running "$1" || return 0
    local pid; pid=$(cat "$1")
    kill "$pid"
    for _ in $(seq 1 100); do
        # slurm daemons run as `slurm` cannot delete their own pid file in /run.
        kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
        sleep 0.1
    done
    die "process $pid from $1 did not stop"
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts daemons)"

# --------------------------------------------------------------------------
# 1. Packages
# --------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing: ${missing[*]}"
    # Keep dpkg from starting services with the packaged default configs while
    # installing (the slurm ones need our slurm.conf anyway).  Docker images
    # already ship such a policy-rc.d; only add (and later remove) our own.
    own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        > /tmp/setup_local_cluster.apt.log 2>&1 || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    ((rc == 0)) || { tail -n 20 /tmp/setup_local_cluster.apt.log >&2; die "apt-get failed (full log: /tmp/setup_local_cluster.apt.log)"; }
fi

# --------------------------------------------------------------------------
# 2. Configuration (regenerated every run; daemons restart only if it changed)
# --------------------------------------------------------------------------
# `slurmd -C` prints this machine's real layout, e.g.
#   NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
NODE_LINE=$(slurmd -C | head -n 1)
[[ $NODE_LINE == NodeName=* ]] || die "unexpected 'slurmd -C' output: $NODE_LINE"
NODE=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$NODE_LINE")
CPUS=$(sed -E 's/.* CPUs=([0-9]+).*/\1/' <<<"$NODE_LINE")
MEM=$(sed -E 's/.* RealMemory=([0-9]+).*/\1/' <<<"$NODE_LINE")
# Jobs that do not ask for memory get an equal share per CPU instead of the
# whole node (Slurm's default), so several jobs / array tasks run side by side.
DEF_MEM_PER_CPU=$((MEM / CPUS))

SLURM_CONF=$(cat <<EOF
# Generated by strikebench slurm/setup_local_cluster.sh -- edits are overwritten.
ClusterName=$CLUSTER
# 127.0.0.1 everywhere: works even when the hostname does not resolve.
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
MailProg=/bin/true
MpiDefault=none
# No cgroups needed (containers, CI runners): track processes via /proc and
# do no CPU/memory binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# Schedule single CPUs and memory, so 1-CPU jobs can share the node.
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$DEF_MEM_PER_CPU
# Reject jobs that can never run here (e.g. more CPUs than the node has) at
# submit time, instead of leaving them pending forever (Reason=PartitionConfig).
EnforcePartLimits=ALL
# Start submitted jobs immediately instead of batching them (~1 s, not ~10 s),
# and rescan pending jobs every 5 s (default 60) so requeued jobs restart soon.
SchedulerParameters=batch_sched_delay=0,sched_interval=5
# Accounting through slurmdbd: sacct must work (submitit depends on it).
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
# Allow requeueing (preemption, 'scontrol requeue', submitit checkpointing).
JobRequeue=1
# A requeued job may only start again once its old credential expired:
# 10 s instead of the default 120 s keeps requeue/preemption tests short.
AuthInfo=cred_expire=10
# A node that was down (e.g. after a restart) comes back by itself.
ReturnToService=2
NodeName=${NODE_LINE#NodeName=} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)

SLURMDBD_CONF=$(cat <<EOF
# Generated by strikebench slurm/setup_local_cluster.sh -- edits are overwritten.
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=/run/slurmdbd.pid
LogFile=$LOG_DIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=$DB_NAME
StorageUser=$DB_USER
StoragePass=$DB_PASS
EOF
)

# write_if_changed FILE CONTENT MODE OWNER -> returns 0 if the file changed
write_if_changed() {
    local file=$1 content=$2 mode=$3 owner=$4
    if [[ -f $file ]] && [[ "$(cat "$file")" == "$content" ]]; then
        chmod "$mode" "$file"; chown "$owner" "$file"
        return 1
    fi
    printf '%s\n' "$content" > "$file"
    chmod "$mode" "$file"; chown "$owner" "$file"
    return 0
}

mkdir -p "$CONF_DIR" "$LOG_DIR" "$STATE_DIR" "$SPOOL_DIR"
chown slurm:slurm "$LOG_DIR" "$STATE_DIR"
slurm_conf_changed=0; dbd_conf_changed=0
write_if_changed "$CONF_DIR/slurm.conf" "$SLURM_CONF" 644 root:root && slurm_conf_changed=1
# slurmdbd refuses to start unless its config (it holds the DB password) is
# private to SlurmUser.
write_if_changed "$CONF_DIR/slurmdbd.conf" "$SLURMDBD_CONF" 600 slurm:slurm && dbd_conf_changed=1

# --------------------------------------------------------------------------
# 3. Fast path: everything already up with this configuration
# --------------------------------------------------------------------------
node_usable() { sinfo -h -n "$NODE" -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc|comp)$'; }
cluster_healthy() {
    is_running /run/slurmdbd.pid && is_running /run/slurmctld.pid && is_running /run/slurmd.pid &&
        scontrol ping 2>/dev/null | grep -q 'UP' && node_usable &&
        sacct -n -X -S now-1minutes >/dev/null 2>&1
}
if ((slurm_conf_changed == 0 && dbd_conf_changed == 0)) && cluster_healthy; then
    say "OK: Slurm cluster '$CLUSTER' already up (node $NODE, partition $PARTITION, $CPUS CPUs, ${MEM} MB, accounting on)"
    exit 0
fi

# A changed config needs the affected daemons restarted.
if ((dbd_conf_changed)); then stop_pidfile /run/slurmdbd.pid; fi
if ((slurm_conf_changed)); then stop_pidfile /run/slurmd.pid; stop_pidfile /run/slurmctld.pid; fi

# --------------------------------------------------------------------------
# 4. munge (authentication between all Slurm components)
# --------------------------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    say "creating munge key"
    runuser -u munge -- mungekey -c || die "could not create /etc/munge/munge.key"
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "starting munged"
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1 || die "munged failed to start"
    wait_for "munged" bash -c 'munge -n | unmunge'
fi

# --------------------------------------------------------------------------
# 5. MariaDB + database user for slurmdbd
# --------------------------------------------------------------------------
if ! mysqladmin ping >/dev/null 2>&1; then
    say "starting mariadb"
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    install -d -o mysql -g adm -m 2750 /var/log/mysql
    # mysqld_safe restarts mariadbd if it dies.  Debian's default logs to
    # syslog, which containers usually lack: log to a file instead.  Detach
    # it from our stdout so callers capturing this script's output do not hang.
    nohup setsid mysqld_safe --skip-syslog --log-error=/var/log/mysql/error.log \
        </dev/null >>"$LOG_DIR/mariadb-start.log" 2>&1 &
    wait_for "mariadb (mysqladmin ping)" mysqladmin ping
fi
# Root connects through the unix socket (Debian default); idempotent SQL.
mysql -u root <<SQL || die "could not create the slurm database user"
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL

# --------------------------------------------------------------------------
# 6. slurmdbd, then register cluster/account, then slurmctld and slurmd
# --------------------------------------------------------------------------
if ! is_running /run/slurmdbd.pid; then
    say "starting slurmdbd"
    /usr/sbin/slurmdbd </dev/null >/dev/null 2>&1 || die "slurmdbd failed to start"
fi
# sacctmgr talks to slurmdbd directly; the first start creates the tables.
wait_for "slurmdbd (sacctmgr show cluster)" sacctmgr -n show cluster

# The cluster must exist in the DB for slurmctld's jobs to be accounted.
if ! sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster failed"
fi
if ! sacctmgr -n -P show account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" \
        Description="strikebench local" Organization=local >/dev/null || die "sacctmgr add account failed"
fi
# root (who runs the tests in CI) and, under sudo, the calling user.
for u in root ${SUDO_USER:-}; do
    if ! sacctmgr -n -P show assoc where user="$u" account="$ACCOUNT" cluster="$CLUSTER" format=user | grep -qx "$u"; then
        sacctmgr -i add user "$u" Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null || die "sacctmgr add user $u failed"
    fi
done

if ! is_running /run/slurmctld.pid; then
    say "starting slurmctld"
    /usr/sbin/slurmctld </dev/null >/dev/null 2>&1 || die "slurmctld failed to start"
fi
wait_for "slurmctld (scontrol ping)" bash -c 'scontrol ping | grep -q UP'

if ! is_running /run/slurmd.pid; then
    say "starting slurmd"
    /usr/sbin/slurmd </dev/null >/dev/null 2>&1 || die "slurmd failed to start"
fi

# A node left DOWN/DRAINED by an earlier crash or unclean stop: resume it.
deadline=$((SECONDS + WAIT_S))
until node_usable; do
    state=$(sinfo -h -n "$NODE" -o '%t' 2>/dev/null || true)
    case $state in
        down*|drain*|drng*|fail*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    ((SECONDS < deadline)) || die "node $NODE not usable after ${WAIT_S}s (state: '${state:-?}'; see 'scontrol show node $NODE')"
    sleep 0.5
done
wait_for "sacct" sacct -n -X -S now-1minutes

say "OK: Slurm cluster '$CLUSTER' up (node $NODE, partition $PARTITION, $CPUS CPUs, ${MEM} MB, accounting on)"
