"""Scan detectors (issue 5, first part): each fires on its attack capture, on the
right device, within 5 s of the attack's start, and stays silent on the benign
captures and on near misses."""
import json
import os
import subprocess
import tempfile
import unittest

MUDGUARD = os.environ['MUDGUARD']
PCAPS = os.environ['MG_PCAPS']
ATTACK_START = '2025-01-01T12:05:00'  # the generator's attacks start at T0 + duration/2
CAMERA, TV = '44:19:b6:10:00:95', 'b0:a7:37:10:06:e6'
PLUG, BULB = '50:c7:bf:10:01:52', '00:17:88:10:02:f2'


def anomalies(pcap, conf_text=''):
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
        conf.write(conf_text)
        conf.flush()
        p = subprocess.run([MUDGUARD, '-c', conf.name, '-r', os.path.join(PCAPS, pcap), '-o', '-'],
                           capture_output=True, timeout=120, check=True)
    ev = [json.loads(x) for x in p.stdout.decode().splitlines()]
    return [e for e in ev if e['event_type'] == 'anomaly']


def seconds_after_start(ts):
    # same minute in these captures: compare seconds
    assert ts.startswith('2025-01-01T12:0'), ts
    m, s = int(ts[14:16]), float(ts[17:26])
    return (m - 5) * 60 + s


class Scan(unittest.TestCase):
    def test_mirai(self):
        a = anomalies('mirai.pcap')
        self.assertTrue(a)
        self.assertEqual({e['mac'] for e in a}, {CAMERA})
        first = a[0]
        self.assertEqual(first['detector'], 'mirai_syn')
        self.assertEqual(first['verdict'], 'quarantine')
        self.assertLess(seconds_after_start(first['timestamp']), 5)
        self.assertIn("Mirai's scanner", first['why'])
        scans = [e for e in a if e['detector'] == 'scan']
        self.assertTrue(scans)
        self.assertEqual(scans[0]['evidence']['port'], 23)
        self.assertEqual(scans[0]['evidence']['threshold'], 64)
        self.assertEqual(len(scans[0]['evidence']['sample_destinations']), 4)
        self.assertLess(len(a), 10)  # findings, not a flood of events

    def test_lateral(self):
        a = anomalies('lateral.pcap')
        self.assertEqual({e['mac'] for e in a}, {TV})
        self.assertEqual(a[0]['detector'], 'lateral')
        self.assertLess(seconds_after_start(a[0]['timestamp']), 5)
        self.assertEqual(a[0]['evidence']['ports'], 8)
        self.assertEqual(a[0]['verdict'], 'alert')  # a handful of hosts: not enough to isolate

    def test_floods(self):
        for pcap, mac, det in (('synflood.pcap', PLUG, 'syn_flood'),
                               ('udpflood.pcap', BULB, 'udp_flood')):
            a = anomalies(pcap)
            self.assertEqual({e['mac'] for e in a}, {mac}, pcap)
            f = [e for e in a if e['detector'] == det]
            self.assertTrue(f, pcap)
            self.assertLess(seconds_after_start(f[0]['timestamp']), 5)
            self.assertEqual(f[0]['verdict'], 'quarantine')
            self.assertEqual(f[0]['evidence']['destinations'], 1)
            self.assertIn('within one second, at 1 target', f[0]['why'])
        # the Mirai scan sends SYNs as fast, but to many targets: a scan, not a flood
        self.assertNotIn('syn_flood', {e['detector'] for e in anomalies('mirai.pcap')})

    def test_benign_silent(self):
        # a new C2 domain is neither a scan nor a flood
        for pcap in ('benign.pcap', 'c2.pcap'):
            self.assertEqual(anomalies(pcap), [], pcap)

    def test_near_miss_thresholds(self):
        """Thresholds just above what the captures hold: nothing fires."""
        self.assertEqual(anomalies('mirai.pcap', '[anomaly]\nmirai_syns = 100000\n'
                                   'scan_fanout = 100000\n'), [])
        quiet = '[anomaly]\nscan_fanout = 65\n'
        self.assertEqual(anomalies('lateral.pcap', quiet + 'lateral_hosts = 33\n'), [])
        self.assertEqual(len(anomalies('lateral.pcap', quiet + 'lateral_hosts = 32\n')), 1)
        # the SYN flood runs at 2000 per second
        self.assertEqual(anomalies('synflood.pcap', '[anomaly]\nflood_syn = 2001\n'), [])
        self.assertTrue(anomalies('synflood.pcap', '[anomaly]\nflood_syn = 2000\n'))


if __name__ == '__main__':
    unittest.main(verbosity=2)
