"""Robustness: replay every capture under ../shared/datasets (skipped where it
is absent, as on a user's machine). Each run must exit 0 with no sanitizer
report; for the labelled IoT Sentinel captures, the labelled device must be
in the inventory with a vendor, and its identity must name a vendor with the
evidence for it. Identification by the built-in rules alone (no learned model)
must give a class to most labelled devices."""
import concurrent.futures
import csv
import glob
import json
import os
import subprocess
import sys

MUDGUARD = os.environ['MUDGUARD']
# Some IoT Sentinel types say nothing about what they are without a learned
# model (Edimax plugs, Ednet cameras, Espressif kettles...): see README.
MIN_CLASSIFIED = 0.70
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
    devices, evidence = {}, {}
    for line in p.stdout.decode().splitlines():
        e = json.loads(line)
        if e['event_type'] == 'device_summary':
            devices[e['mac']] = e
        elif e['event_type'] == 'identity':
            evidence.setdefault(e['mac'], []).extend(e['evidence'])
            for ev in e['evidence']:
                if not (ev['signal'] and ev['value'] and ev['rule'] and ev['supports']):
                    problems.append('incomplete evidence %r' % ev)
    for mac, d in devices.items():
        d['evidence_seen'] = evidence.get(mac, [])
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
    failed = classified = labelled = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for path, problems, devices in ex.map(replay, files):
            want = labels.get(path)
            if want:
                labelled += 1
                d = devices.get(want)
                if not d:
                    problems.append('labelled device %s not in inventory' % want)
                elif not d['vendor'] and not d['randomized_mac']:
                    problems.append('labelled device %s has no vendor' % want)
                else:
                    ident = d['identity']
                    if not ident['vendor']:
                        problems.append('labelled device %s: identity has no vendor' % want)
                    elif not any('vendor' in e['supports'] for e in d['evidence_seen']):
                        problems.append('labelled device %s: no evidence for its vendor' % want)
                    if ident['class']:
                        classified += 1
            if problems:
                failed += 1
                print('FAIL %s: %s' % (os.path.relpath(path, DATASETS), '; '.join(problems)))
    print('%d passed, %d failed' % (len(files) - failed, failed))
    if labelled:
        share = classified / labelled
        print('labelled devices with a class from the rules alone: %d/%d (%.0f%%)'
              % (classified, labelled, 100 * share))
        if share < MIN_CLASSIFIED:
            print('FAIL: fewer than %.0f%% classified' % (100 * MIN_CLASSIFIED))
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
