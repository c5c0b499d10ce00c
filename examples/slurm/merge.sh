#!/bin/bash
# Joins the shards of a batch into <batch>/all once every shard finished (submit.sh runs it with afterok).
#SBATCH --job-name=madenet-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --output=%x-%j.log
set -euo pipefail
batch=$1
: "${MADENET:=madenet}"
# merge checks that shards 0..N-1 are all there, finished and made with one perfmap, else it fails.
"$MADENET" infer merge "$batch"/shard-* --out "$batch/all"
