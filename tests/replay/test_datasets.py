"""Robustness: replay every capture under ../shared/datasets (skipped where it
is absent, as on a user's machine). Each run must exit 0 with no sanitizer
report; for the labelled IoT Sentinel captures, the labelled device must be
in the inventory with a vendor."""
import concurrent.futures
import csv
import glob
import json
import os
import subprocess
import sys

MUDGUARD = os.environ['MUDGUARD']
DATASETS = os.environ['MG_DATASETS']


def replay(path):
    p = subprocess.run([MUDGUARD, '-r', path], capture_output=True, timeout=300)
    err = p.stderr.decode(errors='replace')
    problems = []
    if p.returncode != 0:
        problems.append('exit %d: %s' % (p.returncode, err.strip()[-500:]))
    for marker in ('runtime error', 'AddressSanitizer', 'LeakSanitizer'):
        if marker in err:
            problems.append('sanitizer: ' + err[-2000:])
    devices = {}
    for line in p.stdout.decode().splitlines():
        e = json.loads(line)
        if e['event_type'] == 'device_summary':
            devices[e['mac']] = e
    return path, problems, devices


def main():
    if not os.path.isdir(DATASETS):
        print('SKIP: %s is absent' % DATASETS)
        return 77
    files = sorted(f for f in glob.glob(os.path.join(DATASETS, '**', '*'), recursive=True)
                   if f.endswith(('.pcap', '.pcapng')))
    labels = {}
    lab = os.path.join(DATASETS, 'iot-sentinel', 'LABELS.tsv')
    if os.path.exists(lab):
        with open(lab) as f:
            for row in csv.reader(f, delimiter='\t'):
                if len(row) >= 3:
                    labels[os.path.join(DATASETS, 'iot-sentinel', row[0])] = row[2].lower()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for path, problems, devices in ex.map(replay, files):
            want = labels.get(path)
            if want:
                if want not in devices:
                    problems.append('labelled device %s not in inventory' % want)
                elif not devices[want]['vendor'] and not devices[want]['randomized_mac']:
                    problems.append('labelled device %s has no vendor' % want)
            if problems:
                failed += 1
                print('FAIL %s: %s' % (os.path.relpath(path, DATASETS), '; '.join(problems)))
    print('%d passed, %d failed' % (len(files) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
