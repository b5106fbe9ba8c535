#!/usr/bin/env python3
"""Detection quality of the behavioural baselines and detectors (issue 5).

Reads what `mudguard-gen soak DIR` wrote (train.pcap, test.pcap, attack-*.pcap,
attacks.tsv), learns baselines from train.pcap with --learn, then prints:
  benign    test.pcap (days 2..N): quarantine verdicts (target 0) and alerts per
            device per day (target at most 1 for every device and day);
  attacks   per scenario: the first finding on the attacking device and how long
            after the attack's start (target: within 5 s), and verdicts against
            any other device (target: none);
  datasets  every capture under DATASETS, without a baseline (devices in their
            learning period) and with learning_period = 60 s: quarantine verdicts
            and the worst alerts-per-device-per-day.
Exits 1 if a target is missed."""
import argparse
import collections
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile


def run(mg, args, conf=''):
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as c:
        c.write(conf)
        c.flush()
        p = subprocess.run([mg, '-c', c.name, '-o', '-'] + args, capture_output=True)
    if p.returncode not in (0, 3):  # 3: a capture file had a problem (datasets)
        sys.exit('mudguard failed: %s\n%s' % (' '.join(args), p.stderr.decode()))
    return [json.loads(x) for x in p.stdout.decode().splitlines() if x.startswith('{')]


def ts(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def per_day(anomalies):
    """The most alerts any device got on any day (UTC)."""
    c = collections.Counter((e['mac'], e['timestamp'][:10]) for e in anomalies
                            if e['verdict'] == 'alert')
    return max(c.values(), default=0), c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mudguard', required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--datasets')
    a = ap.parse_args()
    ok = True
    base = os.path.join(a.dir, 'baseline')
    run(a.mudguard, ['-r', os.path.join(a.dir, 'train.pcap'), '--learn', base])

    ev = run(a.mudguard, ['-r', os.path.join(a.dir, 'test.pcap'), '--baseline', base])
    an = [e for e in ev if e['event_type'] == 'anomaly']
    final = [e for e in ev if e['event_type'] == 'stats' and e['final']][0]
    days = {e['timestamp'][:10] for e in ev if e['event_type'] == 'stats'}
    devices = {e['mac'] for e in ev if e['event_type'] == 'device_summary'}
    q = sum(e['verdict'] == 'quarantine' for e in an)
    worst, _ = per_day(an)
    good = q == 0 and worst <= 1
    ok &= good
    print('benign  %d devices, %d days: %d quarantine verdicts (target 0), %d alerts, '
          'at most %d per device per day (target <= 1), %d findings below the alert '
          'level  %s' % (len(devices), len(days), q, len(an) - q, worst,
                         final['anomaly']['quiet'], 'OK' if good else 'MISSED'))
    for e in an:
        print('        %s %s %s %s: %s' % (e['timestamp'], e['mac'], e['detector'],
                                          e['verdict'], e['why']))

    print('attacks %-10s %-17s %-22s %8s %-10s %s' % ('scenario', 'device', 'first finding',
                                                      'after', 'verdict', 'others'))
    for line in open(os.path.join(a.dir, 'attacks.tsv')):
        if line.startswith('#'):
            continue
        name, mac, start, _ = line.rstrip('\n').split('\t')
        ev = run(a.mudguard, ['-r', os.path.join(a.dir, 'attack-%s.pcap' % name),
                              '--baseline', base])
        an = [e for e in ev if e['event_type'] == 'anomaly']
        mine = [e for e in an if e['mac'] == mac]
        others = [e for e in an if e['mac'] != mac]
        first = mine[0] if mine else None
        delay = ts(first['timestamp']) - ts(start) if first else None
        verdict = 'quarantine' if any(e['verdict'] == 'quarantine' for e in mine) else \
            'alert' if mine else '-'
        good = first is not None and 0 <= delay <= 5 and not others
        ok &= good
        print('        %-10s %-17s %-22s %7.3fs %-10s %d  %s' % (
            name, mac, first['detector'] if first else '(none)',
            delay if first else float('nan'), verdict, len(others),
            'OK' if good else 'MISSED'))

    if a.datasets and os.path.isdir(a.datasets):
        files = sorted(glob.glob(os.path.join(a.datasets, '*', '*.pcap*')) +
                       glob.glob(os.path.join(a.datasets, '*', '*', '*.pcap*')))
        for label, conf in (('learning', ''),
                            ('learned 60 s', '[anomaly]\nlearning_period = 60\n')):
            q = alerts = worst = 0
            where = collections.Counter()
            for f in files:
                an = [e for e in run(a.mudguard, ['-r', f], conf)
                      if e['event_type'] == 'anomaly']
                q += sum(e['verdict'] == 'quarantine' for e in an)
                alerts += sum(e['verdict'] == 'alert' for e in an)
                w, _ = per_day(an)
                worst = max(worst, w)
                for e in an:
                    where['%s:%s' % (os.path.relpath(f, a.datasets), e['detector'])] += 1
            # synscan.pcap is a port scan: its finding is right
            benign_q = q
            print('datasets %d captures, %s: %d quarantine verdicts, %d alerts, at most %d '
                  'per device per day' % (len(files), label, benign_q, alerts, worst))
            for k, n in sorted(where.items()):
                print('        %s x%d' % (k, n))
            ok &= benign_q == 0
    print('quality: %s' % ('all targets met' if ok else 'TARGETS MISSED'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
