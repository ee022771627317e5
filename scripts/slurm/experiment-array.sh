#!/usr/bin/env bash
# One shard of an emofuse experiment per Slurm array task.
#
#   sbatch --array=1-N scripts/slurm/experiment-array.sh EXPERIMENT.json OUT [emofuse experiment options]
#
# Array task i of N runs
#   emofuse experiment EXPERIMENT.json -o OUT --shard i/N -j $SLURM_CPUS_PER_TASK [options]
# that is a fixed 1/N of the experiment's runs (the split depends only on the experiment
# and N), all writing into the same OUT, which must be on a file system every node sees.
# When the whole array has finished, merge the shards into OUT/table1.csv and table1.md:
#   emofuse report OUT
# or let Slurm do it once every task succeeded:
#   jobid=$(sbatch --parsable --array=1-8 scripts/slurm/experiment-array.sh exp.json out)
#   sbatch --dependency=afterok:$jobid --wrap "build/emofuse report out"
# (`emofuse report` also merges whatever has finished so far, to look at partial results.)
#
# The #SBATCH lines below are defaults; options on the sbatch command line override them,
# e.g. -c 8 (8 CPUs per task, passed on as -j 8), -t 1-00:00:00, -p PARTITION,
# -o logs/%x-%A_%a.log (%A: array job id, %a: task id; the directory must exist).
# A failed task can be run again alone, telling the script how many shards there are:
#   sbatch --array=3 --export=ALL,EMOFUSE_SHARDS=8 scripts/slurm/experiment-array.sh exp.json out
#
# The emofuse binary: $EMOFUSE_BIN if set (sbatch passes the environment on by default),
# else build/emofuse of the checkout this script is in, else build/emofuse under the
# directory sbatch was called from, else emofuse on PATH.
#
#SBATCH --job-name=emofuse-exp
#SBATCH --output=emofuse-%A_%a.log
#SBATCH --cpus-per-task=2
#SBATCH --time=12:00:00
set -uo pipefail

me=emofuse-array
die() { echo "$me: error: $*" >&2; exit 2; }

(($# >= 2)) || die "usage: sbatch --array=1-N $0 EXPERIMENT.json OUT [emofuse experiment options]"
exp=$1 out=$2
shift 2
[[ -f $exp ]] || die "$exp: no such experiment file (paths are relative to $PWD)"

[[ -n ${SLURM_ARRAY_TASK_ID:-} ]] ||
  die "not a Slurm array task: submit with sbatch --array=1-N (N = number of shards)"
task=$SLURM_ARRAY_TASK_ID
if [[ -n ${EMOFUSE_SHARDS:-} ]]; then
  n=$EMOFUSE_SHARDS
  [[ $n =~ ^[1-9][0-9]*$ ]] && ((task >= 1 && task <= n)) ||
    die "array task $task is not a shard of EMOFUSE_SHARDS=$n (tasks must be 1..$n)"
else
  n=${SLURM_ARRAY_TASK_COUNT:-}
  # --shard i/N needs tasks 1..N: --array=0-7, 1-16:2 or a subset would skip or repeat runs.
  [[ ${SLURM_ARRAY_TASK_MIN:-} == 1 && ${SLURM_ARRAY_TASK_MAX:-} == "$n" &&
     ${SLURM_ARRAY_TASK_STEP:-1} == 1 ]] ||
    die "submit with --array=1-N (got tasks ${SLURM_ARRAY_TASK_MIN:-?}-${SLURM_ARRAY_TASK_MAX:-?}:${SLURM_ARRAY_TASK_STEP:-?}, $n of them); to rerun some tasks alone set EMOFUSE_SHARDS=N"
fi
cpus=${SLURM_CPUS_PER_TASK:-1}

# sbatch runs a copy of this script from slurmd's spool directory, so BASH_SOURCE does not
# say where the checkout is; scontrol's Command= does (the path given to sbatch).
find_bin() {
  local script cand
  if [[ -n ${EMOFUSE_BIN:-} ]]; then
    echo "$EMOFUSE_BIN"; return 0
  fi
  script=$(scontrol show job -o "${SLURM_JOB_ID:-}" 2>/dev/null |
    sed -n 's/.* Command=\(.*\) WorkDir=.*/\1/p' | head -n 1)
  for cand in ${script:+"$(dirname "$script")/../../build/emofuse"} \
      "$(dirname "${BASH_SOURCE[0]}")/../../build/emofuse" \
      ${SLURM_SUBMIT_DIR:+"$SLURM_SUBMIT_DIR/build/emofuse"}; do
    [[ -x $cand ]] && { echo "$cand"; return 0; }
  done
  command -v emofuse
}
bin=$(find_bin) && [[ -x $bin ]] ||
  die "emofuse not found: set EMOFUSE_BIN or build it (build/emofuse next to scripts/)"

job=${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-?}}_$task
echo "$me: job $job on $(hostname -s): $bin experiment $exp -o $out --shard $task/$n -j $cpus $*"
mkdir -p "$out" || die "cannot create $out"
start=$SECONDS
"$bin" experiment "$exp" -o "$out" --shard "$task/$n" -j "$cpus" "$@"
rc=$?
if ((rc == 0)); then
  echo "$me: shard $task/$n done in $((SECONDS - start)) s (job $job); when all $n are done: emofuse report $out"
else
  echo "$me: shard $task/$n FAILED with exit code $rc after $((SECONDS - start)) s (job $job)" >&2
fi
exit $rc
