# shellcheck shell=bash disable=SC2034  # SLURM_TEST_CPUS, SLURM_JOB_SUMMARY...: set for the caller
# A throwaway single-node Slurm cluster for tests, run as the current user (root in CI).
# Source this file, then:
#
#   source "$EMOFUSE_SRC/tests/util/slurm_cluster.sh"
#   trap slurm_stop EXIT; trap 'exit 130' INT; trap 'exit 143' TERM HUP
#   slurm_start; rc=$?; ((rc == 0)) || exit $rc      # 77 (skip): Slurm not installed
#   id=$(sbatch --parsable --array=1-3 job.sh)
#   slurm_wait_job "$id" 120 || fail "job $id"
#
# slurm_start  makes a temporary directory (SLURM_TEST_DIR) holding everything: slurm.conf,
#              the MUNGE key and socket, state, spool, logs and pid files; nothing under /etc
#              or /var is read or written. It picks two free TCP ports, starts munged,
#              slurmctld and slurmd in the background, exports SLURM_CONF (so that sbatch,
#              squeue, sinfo, scontrol and scancel talk to this cluster) and waits (60 s at
#              most, SLURM_TEST_START_TIMEOUT) until sinfo shows the node idle. Returns 0;
#              77 with a "SKIP: ..." line when the Slurm daemons or clients are not
#              installed; 1 with the daemons' log tails when the cluster does not come up.
# slurm_stop   cancels the cluster's jobs, stops slurmd, slurmctld and munged (TERM, then KILL
#              after 10 s), kills what is left of the cluster's job steps, removes the
#              directory and unsets SLURM_CONF. Safe to call twice and when slurm_start
#              failed or never ran; meant for an EXIT trap. A watchdog process does the same
#              if the sourcing shell dies without running it (kill -9, a CTest timeout).
# slurm_wait_job JOBID [TIMEOUT=300]
#              waits until the job and all its array tasks have left the queue, then checks
#              every task's final state. Returns 0 when all COMPLETED; 1 when any did not
#              (each such task is printed with its state, exit code and the tail of its
#              output file); 124 on timeout (the queue is printed). sacct is used only when
#              accounting works (it is off in this cluster); otherwise scontrol (finished
#              jobs are kept for MinJobAge=3600 s) and, as a fallback, the jobcomp/filetxt
#              record SLURM_TEST_DIR/log/jobcomp.log.
#
# Authentication: SLURM_TEST_AUTH=munge (the default when munged is installed) runs a private
# munged with its own key and socket (AuthInfo=socket=...); SLURM_TEST_AUTH=none uses
# auth/none + cred/none (still shipped by Slurm 22.05 but undocumented, removed later).
#
# The daemons run in sessions of their own (setsid), so Ctrl-C reaches only the test: its INT
# trap exits, and the EXIT trap stops the cluster in order. Tried as root only (CI); as
# another user SlurmUser/SlurmdUser are that user and jobs can only run as that user.
#
# Also set: SLURM_TEST_NODE (the node name), SLURM_TEST_CPUS (its CPUs), SLURM_TEST_PARTITION.

SLURM_TEST_DIR=${SLURM_TEST_DIR:-}

_slurm_log() { echo "slurm_cluster: $*" >&2; }

# Finds a daemon also where /usr/sbin is not on PATH (a non-root user's shell).
_slurm_which() {
  local b=$1 d
  command -v "$b" 2>/dev/null && return 0
  for d in /usr/sbin /sbin /usr/local/sbin; do
    [[ -x $d/$b ]] && { echo "$d/$b"; return 0; }
  done
  return 1
}

# A TCP port nothing listens on (checked with ss when it is there).
_slurm_free_port() {
  local p i
  for ((i = 0; i < 50; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if command -v ss >/dev/null 2>&1; then
      [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] || continue
    fi
    [[ $p != "${1:-}" ]] && { echo "$p"; return 0; }
  done
  return 1
}

# PIDs of processes started by this cluster other than the daemons we hold the PIDs of:
# slurmstepd (its environment is slurmd's, tagged with EMOFUSE_SLURM_TEST_TAG) and job
# processes (their environment has SLURM_CONF pointing at this cluster's slurm.conf).
_slurm_stray_pids() {
  local dir=$1 e pid
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}; pid=${pid%/environ}
    [[ $pid == "$$" || $pid == "$BASHPID" || $pid == "$PPID" ]] && continue
    if { tr '\0' '\n' < "$e"; } 2>/dev/null |
      grep -qxF -e "EMOFUSE_SLURM_TEST_TAG=$dir" -e "SLURM_CONF=$dir/slurm.conf"; then
      echo "$pid"
    fi
  done
}

# Running (a zombie is not: slurmstepd is reparented to PID 1, which may never reap it).
_slurm_alive() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Starts a daemon in the background in a session of its own, so that Ctrl-C in the terminal
# reaches only the test (whose trap stops the cluster in order), not the daemons. It stays
# our child (setsid does not fork when not a process group leader: job control is turned
# off for the spawn), so that $! is the daemon and it can be reaped. Sets _slurm_pid.
_slurm_spawn() {
  local log=$1 m=0
  shift
  [[ $- == *m* ]] && { m=1; set +m; }
  EMOFUSE_SLURM_TEST_TAG=$SLURM_TEST_DIR setsid "$@" > "$log" 2>&1 < /dev/null &
  _slurm_pid=$!
  ((m)) && set -m
  echo "${SLURM_TEST_PIDS[*]} $_slurm_pid" > "$SLURM_TEST_DIR/run/daemon.pids"
  return 0
}

# TERM the given PIDs, wait up to $1 seconds, then KILL whatever is left.
_slurm_kill_wait() {
  local secs=$1 pid alive i; shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null
  for ((i = 0; i < secs * 10; i++)); do
    alive=()
    for pid in "$@"; do _slurm_alive "$pid" && alive+=("$pid"); done
    ((${#alive[@]})) || break
    sleep 0.1
  done
  for pid in "$@"; do _slurm_alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
  # Reap our own children (ignored for the others).
  for pid in "$@"; do wait "$pid" 2>/dev/null; done
  return 0
}

slurm_start() {
  if [[ -n $SLURM_TEST_DIR ]]; then
    _slurm_log "already started ($SLURM_TEST_DIR)"; return 1
  fi
  local b ctld slurmd munged=
  for b in sbatch squeue sinfo scontrol scancel; do
    command -v "$b" >/dev/null 2>&1 || { echo "SKIP: Slurm client '$b' not installed"; return 77; }
  done
  ctld=$(_slurm_which slurmctld) || { echo "SKIP: slurmctld not installed"; return 77; }
  slurmd=$(_slurm_which slurmd) || { echo "SKIP: slurmd not installed"; return 77; }
  local auth=${SLURM_TEST_AUTH:-}
  if [[ -z $auth ]]; then
    if _slurm_which munged >/dev/null; then auth=munge; else auth=none; fi
  fi
  if [[ $auth == munge ]]; then
    munged=$(_slurm_which munged) || { echo "SKIP: munged not installed"; return 77; }
  elif [[ $auth != none ]]; then
    _slurm_log "SLURM_TEST_AUTH must be munge or none, not '$auth'"; return 1
  fi

  # Short paths: MUNGE's and slurmd's Unix sockets live in here (108-byte limit).
  local base=${TMPDIR:-/tmp}
  ((${#base} > 40)) && base=/tmp
  SLURM_TEST_DIR=$(mktemp -d "$base/slurm.XXXXXX") || { _slurm_log "mktemp failed"; return 1; }
  local d=$SLURM_TEST_DIR
  # munged wants the socket's directories searchable by all (mktemp makes 0700).
  chmod 755 "$d"
  mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge" "$d/run"
  chmod 755 "$d/munge"
  SLURM_TEST_PIDS=()
  _slurm_start_watchdog

  # The node as slurmd sees it (name, CPUs, sockets, cores, threads, memory).
  local nodeline
  nodeline=$("$slurmd" -C 2>/dev/null | grep -m1 '^NodeName=')
  [[ -n $nodeline ]] || nodeline="NodeName=$(hostname -s) CPUs=$(nproc)"
  SLURM_TEST_NODE=$(sed 's/^NodeName=\([^ ]*\).*/\1/' <<< "$nodeline")
  SLURM_TEST_CPUS=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$nodeline")
  SLURM_TEST_PARTITION=emofusetest
  nodeline=$(sed 's/ UpTime=.*//' <<< "$nodeline")

  local authconf
  if [[ $auth == munge ]]; then
    head -c 1024 /dev/urandom > "$d/munge/munge.key" && chmod 600 "$d/munge/munge.key"
    # -F (foreground) so that $! is munged itself; it logs to stderr then.
    _slurm_spawn "$d/log/munged.out" "$munged" -F --socket="$d/munge/munge.socket" \
      --key-file="$d/munge/munge.key" --pid-file="$d/munge/munged.pid" \
      --seed-file="$d/munge/munged.seed" --log-file="$d/log/munged.log"
    SLURM_TEST_MUNGED_PID=$_slurm_pid; SLURM_TEST_PIDS+=("$_slurm_pid")
    local i
    for ((i = 0; i < 100; i++)); do
      [[ -S $d/munge/munge.socket ]] && break
      _slurm_alive "$SLURM_TEST_MUNGED_PID" || break
      sleep 0.1
    done
    if [[ ! -S $d/munge/munge.socket ]]; then
      _slurm_log "munged did not start:"; tail -n 20 "$d/log/munged.out" >&2
      slurm_stop; return 1
    fi
    authconf="AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket"
  else
    authconf="AuthType=auth/none
CredType=cred/none"
  fi

  local user; user=$(id -un)
  local attempt ctldport dport
  for attempt in 1 2 3; do
    ctldport=$(_slurm_free_port) && dport=$(_slurm_free_port "$ctldport") ||
      { _slurm_log "no free TCP port"; slurm_stop; return 1; }
    mkdir -p "$d/spool/$SLURM_TEST_NODE"
    : > "$d/plugstack.conf"
    cat > "$d/slurm.conf" <<EOF
# Written by tests/util/slurm_cluster.sh: a private single-node cluster.
ClusterName=emofusetest
SlurmctldHost=$SLURM_TEST_NODE(127.0.0.1)
SlurmctldPort=$ctldport
SlurmdPort=$dport
SlurmUser=$user
SlurmdUser=$user
$authconf
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_min_interval=100000,batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/log/jobcomp.log
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
PlugStackConfig=$d/plugstack.conf
$nodeline NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$SLURM_TEST_PARTITION Nodes=$SLURM_TEST_NODE Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$d/slurm.conf
    _slurm_spawn "$d/log/slurmctld.out" "$ctld" -D -c -f "$d/slurm.conf"
    SLURM_TEST_CTLD_PID=$_slurm_pid; SLURM_TEST_PIDS+=("$_slurm_pid")
    _slurm_spawn "$d/log/slurmd.out" "$slurmd" -D -N "$SLURM_TEST_NODE" -f "$d/slurm.conf"
    SLURM_TEST_SLURMD_PID=$_slurm_pid; SLURM_TEST_PIDS+=("$_slurm_pid")
    if _slurm_wait_idle "${SLURM_TEST_START_TIMEOUT:-60}"; then
      return 0
    fi
    # A port taken between the check and the bind: try again with others.
    if grep -qiE 'address already in use|bind' "$d/log/slurmctld.log" "$d/log/slurmd.log" \
        "$d/log/slurmctld.out" "$d/log/slurmd.out" 2>/dev/null && ((attempt < 3)); then
      _slurm_log "port clash, retrying"
      _slurm_kill_wait 10 "$SLURM_TEST_CTLD_PID" "$SLURM_TEST_SLURMD_PID"
      SLURM_TEST_PIDS=()
      [[ -n ${SLURM_TEST_MUNGED_PID:-} ]] && SLURM_TEST_PIDS=("$SLURM_TEST_MUNGED_PID")
      rm -rf "$d/state"/* "$d/spool"/* "$d/log"/slurm*
      continue
    fi
    break
  done
  local f
  for f in slurmctld.out slurmctld.log slurmd.out slurmd.log; do
    [[ -s $d/log/$f ]] && { echo "--- $f (last lines)" >&2; tail -n 15 "$d/log/$f" >&2; }
  done
  slurm_stop
  return 1
}

# Waits until the node is idle; fails early when a daemon died.
_slurm_wait_idle() {
  local timeout=$1 t0=$SECONDS state=
  while ((SECONDS - t0 < timeout)); do
    if ! _slurm_alive "$SLURM_TEST_CTLD_PID"; then
      _slurm_log "slurmctld exited during start-up"; return 1
    fi
    if ! _slurm_alive "$SLURM_TEST_SLURMD_PID"; then
      _slurm_log "slurmd exited during start-up"; return 1
    fi
    state=$(sinfo -h -n "$SLURM_TEST_NODE" -o '%T' 2>/dev/null)
    [[ $state == idle ]] && return 0
    sleep 0.5
  done
  _slurm_log "node $SLURM_TEST_NODE not idle after ${timeout}s (state: '${state:-no answer from slurmctld}')"
  return 1
}

# Stops the cluster if the sourcing shell goes away without calling slurm_stop.
_slurm_start_watchdog() {
  local owner=$$ d=$SLURM_TEST_DIR
  (
    trap '' INT HUP
    # slurm_stop TERMs this subshell: take the sleep along (no orphan left behind).
    trap 'kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null; exit 0' TERM
    unset SLURM_CONF
    sp=
    while _slurm_alive "$owner" && [[ -d $d ]]; do sleep 1 & sp=$!; wait "$sp"; done
    if [[ -d $d ]]; then
      pids=$(cat "$d/run/daemon.pids" 2>/dev/null)
      # shellcheck disable=SC2086
      [[ -n $pids ]] && kill -TERM $pids 2>/dev/null
      for ((i = 0; i < 50; i++)); do
        up=0
        for p in $pids; do _slurm_alive "$p" && up=1; done
        ((up)) || break
        sleep 0.1
      done
      # shellcheck disable=SC2046
      kill -KILL $pids $(_slurm_stray_pids "$d") 2>/dev/null
      rm -rf "$d"
    fi
  ) > /dev/null 2>&1 < /dev/null &
  SLURM_TEST_WATCHDOG_PID=$!
}

slurm_stop() {
  local d=$SLURM_TEST_DIR
  [[ -n $d ]] || return 0
  SLURM_TEST_DIR=
  if [[ -n ${SLURM_TEST_CTLD_PID:-} ]] && _slurm_alive "$SLURM_TEST_CTLD_PID"; then
    # Let slurmd/slurmstepd end the jobs (that kills their processes) before stopping.
    SLURM_CONF=$d/slurm.conf scancel --quiet --user="$(id -un)" 2>/dev/null
    local i out
    for ((i = 0; i < 50; i++)); do
      out=$(SLURM_CONF=$d/slurm.conf squeue -h -o %i 2>/dev/null) || break
      [[ -z $out ]] && break
      sleep 0.2
    done
  fi
  # slurmd and slurmctld first, munged last (they talk to it while shutting down).
  _slurm_kill_wait 10 ${SLURM_TEST_SLURMD_PID:-} ${SLURM_TEST_CTLD_PID:-}
  # shellcheck disable=SC2046
  _slurm_kill_wait 5 $(_slurm_stray_pids "$d")
  _slurm_kill_wait 5 ${SLURM_TEST_MUNGED_PID:-}
  [[ -n ${SLURM_TEST_WATCHDOG_PID:-} ]] && _slurm_kill_wait 1 "$SLURM_TEST_WATCHDOG_PID"
  [[ ${SLURM_CONF:-} == "$d/slurm.conf" ]] && unset SLURM_CONF
  rm -rf "$d"
  SLURM_TEST_PIDS=()
  SLURM_TEST_CTLD_PID='' SLURM_TEST_SLURMD_PID='' SLURM_TEST_MUNGED_PID='' SLURM_TEST_WATCHDOG_PID=''
  return 0
}

# Prints "TASK STATE EXITCODE OUTFILE" per job record of JOBID (array tasks: TASK is the
# array index; a plain job: TASK is -), from scontrol or else from the jobcomp record.
_slurm_job_records() {
  local id=$1 out
  if out=$(scontrol show job -o "$id" 2>/dev/null) && [[ -n $out ]]; then
    awk '{
      task = "-"; state = "?"; code = "?"; file = "-"
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "ArrayTaskId") task = substr($i, 13)
        else if (kv[1] == "JobState") state = kv[2]
        else if (kv[1] == "ExitCode") code = kv[2]
        else if (kv[1] == "StdOut") file = substr($i, 8)
      }
      print task, state, code, file
    }' <<< "$out"
    return 0
  fi
  local comp=$SLURM_TEST_DIR/log/jobcomp.log
  [[ -s $comp ]] || return 1
  awk -v id="$id" '{
    job = ""; arr = ""; task = "-"; state = "?"; code = "?"
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] == "JobId") job = kv[2]
      else if (kv[1] == "ArrayJobId") arr = kv[2]
      else if (kv[1] == "ArrayTaskId") task = kv[2]
      else if (kv[1] == "JobState") state = kv[2]
      else if (kv[1] == "ExitCode") code = kv[2]
    }
    if (job == id || arr == id) print task, state, code, "-"
  }' "$comp"
}

slurm_wait_job() {
  local id=${1:?usage: slurm_wait_job JOBID [TIMEOUT]} timeout=${2:-300} t0=$SECONDS out
  id=${id%%;*}    # sbatch --parsable prints JOBID[;CLUSTER]
  while :; do
    if out=$(squeue -h -j "$id" -o '%i %T' 2>&1); then
      [[ -z $out ]] && break
    elif grep -qi 'invalid job id' <<< "$out"; then
      break    # purged: it has left the queue
    fi
    if [[ -n ${SLURM_TEST_CTLD_PID:-} ]] && ! _slurm_alive "$SLURM_TEST_CTLD_PID"; then
      _slurm_log "slurmctld is gone (waiting for job $id)"
      return 1
    fi
    if ((SECONDS - t0 >= timeout)); then
      _slurm_log "job $id still queued after ${timeout}s:"
      squeue -j "$id" >&2
      return 124
    fi
    sleep 0.5
  done
  # Final states: sacct when accounting works (not in the test cluster), else scontrol.
  local records
  if records=$(sacct -n -X -P -j "$id" -o JobID,State,ExitCode 2>/dev/null) && [[ -n $records ]]; then
    records=$(awk -F'|' '{ t = $1; sub(/^[0-9]+_?/, "", t); if (t == "") t = "-"; split($2, s, " "); print t, s[1], $3, "-" }' <<< "$records")
  elif ! records=$(_slurm_job_records "$id") || [[ -z $records ]]; then
    _slurm_log "job $id: no record of how it ended"
    return 1
  fi
  local task state code file bad=0 n=0
  while read -r task state code file; do
    n=$((n + 1))
    [[ $state == COMPLETED ]] && continue
    bad=1
    _slurm_log "job $id task $task: $state, exit code $code"
    [[ $file != - && -f $file ]] && { echo "--- $file (last lines)" >&2; tail -n 20 "$file" >&2; }
  done <<< "$records"
  # Callers can check how many tasks ran: "<total> <not completed>".
  SLURM_JOB_SUMMARY="$n $(grep -vc ' COMPLETED ' <<< "$records")"
  return $bad
}
