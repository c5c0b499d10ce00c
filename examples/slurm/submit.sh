#!/usr/bin/env bash
# Scores a folder of images on a Slurm cluster: one fixed list, a job array of shards over it, and a merge that
# runs only when every shard succeeded. Usage: examples/slurm/submit.sh IMAGES_DIR BATCH_DIR [SHARDS]
#
# Loses no image: the list is written once, before submitting, and every shard reads that same file, so images that
# arrive meanwhile cannot shift the shards' partition (each task listing a glob itself could see a different set,
# and an image could fall in no shard). A failed shard keeps the merge from running (afterok); resubmit just it:
#   sbatch --array=<K> examples/slurm/infer-array.sh BATCH_DIR     (--resume continues where it stopped)
#   sbatch examples/slurm/merge.sh BATCH_DIR
set -euo pipefail
images=$1
batch=$2
shards=${3:-16}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$batch"
if [ -e "$batch/list.txt" ]; then
  echo "$batch/list.txt exists: this batch was submitted before (resubmit single shards as above)" >&2
  exit 2
fi
# Sorted, so that the partition is the same whoever makes the list; written under a temp name, then renamed.
find "$images" -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.tif' -o -name '*.tiff' -o -name '*.webp' \) | LC_ALL=C sort > "$batch/list.txt.tmp"
mv "$batch/list.txt.tmp" "$batch/list.txt"
echo "$shards" > "$batch/shards"
echo "$(wc -l < "$batch/list.txt") images in $shards shards"

array=$(sbatch --parsable --array=0-$((shards - 1)) "$here/infer-array.sh" "$batch")
sbatch --dependency=afterok:"${array%%;*}" "$here/merge.sh" "$batch"
