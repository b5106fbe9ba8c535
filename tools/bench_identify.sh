#!/bin/sh
# Identification benchmark (issue 15): brand and class of every labelled device
# in the real captures of ../shared/datasets (real-home, long-benign,
# iot-sentinel) against its label, with the shipped rules and no learned model
# (tools/bench_identify.py: accuracy per set, the whole home in one run, the
# confusions; exit 1 when a target is missed; iot-sentinel also with a learned
# model, cross-validated, shown apart), then the learned model's 5-fold
# cross-validation of types on iot-sentinel (target: at least 0.97).
# -v lists every capture and device.
set -eu
cd "$(dirname "$0")/.."
. tools/bench_lib.sh
status=0
python3 tools/bench_identify.py --mudguard build-bench/src/mudguard \
	--fingerprint build-bench/tools/mudguard-fingerprint \
	--datasets ../shared/datasets "$@" || status=1
echo "== learned model, 5-fold cross-validation on iot-sentinel"
build-bench/tools/mudguard-fingerprint eval ../shared/datasets/iot-sentinel/LABELS.tsv \
	--folds 5 | tee bench-out/identify-model.txt | grep '^accuracy'
awk '/^accuracy/ { split($3, r, "/"); sub(/\(/, "", r[1]); exit !($2 >= 0.97) }' \
	bench-out/identify-model.txt || status=1
exit $status
