#!/bin/bash
# One shard of a batch made by submit.sh: reads the batch's fixed list and writes <batch>/shard-K.
#SBATCH --job-name=madenet-infer
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --requeue
#SBATCH --output=%x-%A_%a.log
set -uo pipefail
batch=$1
: "${PERFMAP:=/shared/artifacts/perfmap/all}"
: "${MADENET:=madenet}"
k=${SLURM_ARRAY_TASK_ID:?run as a job array (sbatch --array)}
n=$(cat "$batch/shards")

# --resume: a requeued or resubmitted task continues where it stopped. Exit status 3 (anomalies found) is not
# asked for here, so any non-zero status is a failure that keeps the merge from running.
"$MADENET" infer --perfmap "$PERFMAP" --input - --out "$batch/shard-$k" --shard "$k/$n" \
  --threads "${SLURM_CPUS_PER_TASK:-0}" --resume --skip-bad-images --verbose < "$batch/list.txt"
