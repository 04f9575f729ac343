#!/usr/bin/env bash
# Stop the single-node Slurm cluster started by slurm/setup_local_cluster.sh.
# Run as root.  Stops only the daemons recorded in their pid files, in the
# reverse order of starting (slurmd, slurmctld, slurmdbd, mariadb, munged).
# Job state, accounting DB and configs are kept, so setup_local_cluster.sh
# brings the same cluster back.  Safe to run when nothing is running.
set -uo pipefail

say() { echo "[stop_local_cluster] $*"; }
[[ $(id -u) -eq 0 ]] || { echo "[stop_local_cluster] ERROR: must run as root" >&2; exit 1; }

# stop NAME PIDFILE: SIGTERM the pid from PIDFILE and wait up to 20 s.  Only
# if that pid really is NAME: a stale pid file may name an unrelated process.
stop() {
    local name=$1 pidfile=$2 pid
    [[ -s $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || { rm -f "$pidfile"; return 0; }
    if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
        say "stopping $name (pid $pid)"
        kill "$pid"
    else
        rm -f "$pidfile"   # stale: nothing of ours to stop
        return 0
    fi
    for _ in $(seq 1 200); do
        if ! kill -0 "$pid" 2>/dev/null; then
            # slurmctld/slurmdbd run as `slurm` and cannot remove their pid
            # file in /run; a stale one breaks e.g. the slurmctld package's
            # prerm (it then calls scancel against a dead controller).
            rm -f "$pidfile"
            return 0
        fi
        sleep 0.1
    done
    say "WARNING: $name (pid $pid) still running after 20 s"
    failed=1
}

failed=0
stop slurmd    /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop slurmdbd  /run/slurmdbd.pid
# mysqladmin shuts the server down cleanly and also stops mysqld_safe.
if command -v mysqladmin >/dev/null && mysqladmin ping >/dev/null 2>&1; then
    say "stopping mariadb"
    mysqladmin shutdown || failed=1
fi
stop munged    /run/munge/munged.pid
((failed == 0)) && say "OK: local Slurm cluster stopped"
exit "$failed"
