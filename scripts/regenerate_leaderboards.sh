#!/usr/bin/env bash
# Regenerate the committed leaderboards in results/leaderboards/ from the recorded judgments in
# ../shared/data (or $JUDGEKIT_SHARED_DATA): JudgeBench from its 7 recorded judges (replayed), PandaLM
# from its two recorded judges (imported). The runs are made in a fresh temporary folder, so the
# leaderboards hold exactly these runs. Run ids carry no paths and replayed or imported runs no
# date, so the same data gives byte-identical files on any machine, path or day.
#
#   scripts/regenerate_leaderboards.sh              # uses `python` (set PYTHON=... for another one)
#   JUDGEKIT_LEADERBOARD_OUT=/tmp/lb scripts/regenerate_leaderboards.sh   # write elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${JUDGEKIT_SHARED_DATA:-../shared/data}"
OUT="${JUDGEKIT_LEADERBOARD_OUT:-results/leaderboards}"
PY="${PYTHON:-python}"
RESULTS="$(mktemp -d)"
trap 'rm -rf "$RESULTS"' EXIT
jk() { "$PY" -m judgekit "$@"; }

for f in "$DATA"/judgebench/outputs/*.jsonl; do
  case "$f" in
    *response_model=claude-3-5-sonnet*) split=claude ;;
    *) split=gpt ;;
  esac
  jk run --suite judgebench --split "$split" --data "$DATA" --judge "replay:$f" --results-dir "$RESULTS" \
    --no-cache -q > /dev/null
done
jk leaderboard "$RESULTS" --suite judgebench --data "$DATA" --format md,csv,html,json --out "$OUT"

for judge in gpt-3.5-turbo pandalm-7b; do
  jk import pandalm "$DATA/pandalm/$judge-testset-v1.json" --data "$DATA" --results-dir "$RESULTS" > /dev/null
done
jk leaderboard "$RESULTS" --suite pandalm --data "$DATA" --format md,csv,html,json --out "$OUT"
