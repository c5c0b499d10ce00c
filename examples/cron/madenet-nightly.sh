#!/usr/bin/env bash
# Scores the images that arrived since the last successful run, and pages when one is anomalous. For cron:
#
#   0 2 * * *  INCOMING=/line3/incoming PERFMAP=/srv/artifacts/perfmap/all /opt/madenet/examples/cron/madenet-nightly.sh >> /var/log/madenet-nightly.log 2>&1
#
# Loses no image: the stamp is taken BEFORE the images are listed (so what arrives during a run is listed by the next
# one) and replaces the last one only when infer succeeded (exit status 0, or 3 = done with anomalies). After a
# failure the stamp stays, so the next run lists the same images again (and whatever came since). An image can
# therefore be scored twice (in two days' folders), never not at all. Files are matched by ctime (-cnewer), which
# a `mv` into the folder or a copy that keeps the mtime still updates.
set -uo pipefail

INCOMING=${INCOMING:-/line3/incoming}          # where images arrive (searched recursively)
PATTERN=${PATTERN:-*.png}                      # which files are images
PERFMAP=${PERFMAP:-/srv/artifacts/perfmap/all} # the performance map to route with
PREDICTIONS=${PREDICTIONS:-/srv/predictions}   # one folder per day under it
STATE=${STATE:-/var/lib/madenet}               # keeps the stamp `last-run`
MADENET=${MADENET:-madenet}                    # the installed binary (npm link), or /path/to/madenet/bin/run.js
NOTIFY=${NOTIFY:-notify-quality-team}          # run when an image is anomalous

mkdir -p "$STATE" || exit 1
stamp="$STATE/last-run"
next="$STATE/next-run.$$"
# One second early: a file created in the same clock tick as the stamp (timestamps are coarser than the clock) is
# listed again next time rather than never.
touch -d '1 second ago' "$next" || exit 1

find_args=("$INCOMING" -type f -name "$PATTERN")
[ -e "$stamp" ] && find_args+=(-cnewer "$stamp")
find "${find_args[@]}" |
  "$MADENET" infer --perfmap "$PERFMAP" --input - --out "$PREDICTIONS/$(date +%F)" \
    --resume --skip-bad-images --fail-on-anomaly --quiet
statuses=("${PIPESTATUS[@]}")
listed=${statuses[0]}
status=${statuses[1]}
# A listing that failed part-way (a folder that vanished, no permission) may have missed images: not a success.
if [ "$listed" -ne 0 ] && { [ "$status" -eq 0 ] || [ "$status" -eq 3 ]; }; then status=1; fi

case "$status" in
  0 | 3) mv -f "$next" "$stamp" ;;
  *)
    rm -f "$next"
    # 2: a wrong call; 75: the previous run still holds the output (busy); 1: see the error above.
    echo "madenet-nightly: infer exited $status (find $listed); $stamp is unchanged, so the next run lists these images again" >&2
    ;;
esac
if [ "$status" -eq 3 ]; then "$NOTIFY"; fi
exit "$status"
