"""Identification end to end: identity events on the generated captures (class,
vendor, model, evidence, software, hysteresis), rules and model errors, and
learned fingerprints on the IoT Sentinel captures (train, --fingerprints,
unknown, and the cross-validation target of 0.95)."""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_replay import by_type, events, pcap, run, summaries  # noqa: E402

FINGERPRINT = os.environ['MUDGUARD_FINGERPRINT']
DATASETS = os.environ['MG_DATASETS']
SENTINEL = os.path.join(DATASETS, 'iot-sentinel', 'LABELS.tsv')

# demo.pcap devices (tools/gen.c kinds): MAC prefix -> (vendor, class, model)
DEMO = {
    '44:19:b6': ('Hikvision', 'camera', None),
    '50:c7:bf:10': ('TP-Link', 'plug', 'HS110'),
    '00:17:88': ('Philips Hue', 'hub', 'Hue Bridge'),
    '00:0e:58': ('Sonos', 'speaker', 'Sonos-Kitchen'),
    'd0:52:a8': ('Samsung SmartThings', 'hub', None),
    '18:b4:30': ('Google Nest', 'thermostat', None),
    'b0:a7:37': ('Roku', 'media', 'Roku-Living'),
    '3c:2a:f4': ('Brother', 'printer', None),
    '02:6a:11': (None, 'phone', None),
}


def fp(*args, check=True):
    p = subprocess.run([FINGERPRINT, *args], capture_output=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError('mudguard-fingerprint %s exited %d: %s'
                             % (' '.join(args), p.returncode, p.stderr.decode()))
    return p


class Rules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.evs, _ = events('-r', pcap('demo'))
        cls.devs = summaries(cls.evs)

    def device(self, prefix):
        found = [d for mac, d in self.devs.items() if mac.startswith(prefix)
                 and d['role'] == 'device']
        self.assertEqual(len(found), 1, prefix)
        return found[0]

    def test_classes(self):
        for prefix, (vendor, cls, model) in DEMO.items():
            ident = self.device(prefix)['identity']
            with self.subTest(prefix=prefix):
                self.assertEqual(ident['class'], cls)
                if vendor:
                    self.assertEqual(ident['vendor'], vendor)
                if model:
                    self.assertEqual(ident['model'], model)
                self.assertGreaterEqual(ident['confidence'], 0.5)
                self.assertNotIn('type', ident)  # only with a learned model

    def test_identity_events_explain(self):
        ids = by_type(self.evs, 'identity')
        self.assertGreaterEqual(len(ids), len(DEMO))
        for e in ids:
            self.assertTrue(e['evidence'], e)
            for ev in e['evidence']:
                self.assertRegex(ev['rule'], r'^\d\d-[a-z-]+\.rules:\d+$')
                for attr in ev['supports']:
                    self.assertIsNotNone(e[attr])
        cam = [e for e in ids if e['mac'].startswith('44:19:b6')][-1]
        used = {(x['signal'], x['value']) for x in cam['evidence']}
        self.assertIn(('dhcp.vendor_class', 'hikvision-ipc 5.5'), used)

    def test_hysteresis(self):
        # a device's shown class never goes back to one it left
        seq = {}
        for e in by_type(self.evs, 'identity'):
            s = seq.setdefault(e['mac'], [])
            if e['class'] and (not s or s[-1] != e['class']):
                self.assertNotIn(e['class'], s, 'class flip-flop for %s' % e['mac'])
                s.append(e['class'])
        for mac, s in seq.items():
            self.assertLessEqual(len(s), 2, mac)

    def test_gateway_is_network(self):
        gw = [d for d in self.devs.values() if d['role'] == 'gateway']
        self.assertEqual(len(gw), 1)
        self.assertEqual(gw[0]['identity']['class'], 'network')
        self.assertIn('device.role', gw[0]['signals'])

    def test_software_versions(self):
        sw = self.device('44:19:b6')['software']
        self.assertIn({'product': 'hikvision-ipc', 'version': '5.5',
                       'seen_in': 'dhcp.vendor_class'}, sw)
        self.assertIn({'product': 'TLS client', 'version': '1.3',
                       'seen_in': 'tls.max_version'}, sw)
        bulb = self.device('00:17:88')['software']
        self.assertIn({'product': 'IpBridge', 'version': '1.50.0', 'seen_in': 'ssdp.server'},
                      bulb)

    def test_signals_and_dns(self):
        plug = self.device('50:c7:bf:10')
        sig = plug['signals']
        self.assertEqual(sig['dhcp.hostname'], ['HS110'])
        self.assertEqual(sig['dhcp.params'], ['1,3,6,12,15,28'])
        self.assertIn('tls.sni', sig)
        self.assertIn('tcp.syn', sig)
        self.assertNotIn('traffic.packet', sig)
        self.assertGreater(plug['dns_names'], 0)

    def test_malformed_counted(self):
        st = [e for e in by_type(self.evs, 'stats') if e['final']][0]
        self.assertEqual(st['malformed'], {})  # the generator writes valid messages
        self.assertEqual(st['identity_events'], len(by_type(self.evs, 'identity')))

    def test_deterministic(self):
        a = run('-r', pcap('demo')).stdout
        b = run('-r', pcap('demo')).stdout
        self.assertEqual(a, b)

    def test_summary_columns(self):
        err = run('-r', pcap('demo'), '--summary', '-o', os.devnull).stderr.decode()
        self.assertRegex(err, r'44:19:b6:\S+\s+\S+\s+device\s+Hikvision\s+camera')

    def test_bad_rules_file(self):
        with tempfile.NamedTemporaryFile('w', suffix='.rules') as f:
            f.write('# ok\ndhcp.hostname x class=toaster\n')
            f.flush()
            p = run('-r', pcap('demo'), '--rules', f.name, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn('%s:2: unknown class "toaster"' % f.name, p.stderr.decode())

    def test_rules_directory_and_override(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'site.rules'), 'w') as f:
                f.write('dhcp.hostname "ipcam-*" vendor=Acme class=sensor model=X1 weight=1\n')
            evs, _ = events('-r', pcap('demo'), '--rules', d)
            cam = [s for m, s in summaries(evs).items() if m.startswith('44:19:b6')][0]
            self.assertEqual(cam['identity']['class'], 'sensor')
            self.assertEqual(cam['identity']['model'], 'X1')
            self.assertEqual(cam['identity']['confidence'], 1.0)


@unittest.skipUnless(os.path.exists(SENTINEL), 'shared datasets absent')
class RealBehaviour(unittest.TestCase):
    """identify.pcap: what real homes showed the generator (tools/gen.c,
    identify_devices), each asserted on the fields an analyst reads."""

    @classmethod
    def setUpClass(cls):
        cls.evs, _ = events('-r', pcap('identify'))
        cls.devs = summaries(cls.evs)
        cls.last = {}
        for e in by_type(cls.evs, 'identity'):
            cls.last[e['mac']] = e

    def one(self, prefix):
        found = [m for m in self.devs if m.startswith(prefix)]
        self.assertEqual(len(found), 1, prefix)
        return self.devs[found[0]], self.last.get(found[0], {})

    def test_brand_over_module(self):
        """A Roomba on an AzureWave module's OUI is iRobot, as its host name
        says, not AzureWave."""
        d, ident = self.one('dc:f5:05')
        self.assertEqual((ident['vendor'], ident['vendor_source'], ident['class']),
                         ('iRobot', 'device', 'vacuum'))
        self.assertIn('AzureWave', d['vendor'])  # the registry still says who made the MAC

    def test_module_when_nothing_else(self):
        """A device that shows only its Espressif module's default name is
        reported as the module maker, as such, and its class is unknown."""
        _, ident = self.one('24:0a:c4')
        self.assertEqual((ident['vendor'], ident['vendor_source']), ('Espressif', 'module'))
        self.assertIsNone(ident['class'])

    def test_sleeping_sensor(self):
        """A Tuya-module device that rejoins after silences is a sensor; its
        brand comes from its cloud (device), not from the module's OUI."""
        d, ident = self.one('1c:90:ff')
        self.assertEqual(d['signals']['device.behaviour'], ['sleeps'])
        self.assertEqual((ident['vendor'], ident['vendor_source'], ident['class']),
                         ('Tuya', 'device', 'sensor'))
        self.assertLess(ident['confidence'], 0.8)  # behaviour alone: never certain

    def test_streaming_camera(self):
        d, ident = self.one('00:e0:4c')
        self.assertEqual(d['signals']['device.behaviour'], ['streams-up'])
        self.assertEqual((ident['class'], ident['vendor_source']), ('camera', 'module'))

    def test_known_answers_are_not_the_hub(self):
        """The hub's mDNS query lists the Hue bridge's instance as a known
        answer: that says nothing about the hub."""
        d, ident = self.one('d0:52:a8')
        self.assertEqual(d['signals']['mdns.query'], ['_hue._tcp'])
        self.assertNotIn('Philips-hue', d['signals'].get('mdns.instance', []))
        self.assertEqual((ident['vendor'], ident['class']), ('Samsung SmartThings', 'hub'))

    def test_stub_router_is_no_gateway(self):
        """A router advertisement with router lifetime 0 (a Thread border
        router) does not make the hub the gateway."""
        d, _ = self.one('d0:52:a8')
        self.assertEqual(d['role'], 'device')
        gws = [e['mac'] for e in by_type(self.evs, 'role') if e['role'] == 'gateway']
        self.assertEqual(gws, ['50:c7:bf:00:00:01'])


REAL_HOME = os.path.join(DATASETS, 'real-home')


@unittest.skipUnless(os.path.isdir(REAL_HOME), 'no real-home captures')
class SleepsAcrossCaptures(unittest.TestCase):
    """Three captures of one real experiment (its LAN, WAN and Wi-Fi side):
    the plug, the hub and the bridge rejoined the network once in it, which
    the copies repeat. A wake heard once is no battery device's sleep; only
    the Tuya motion sensor, which sleeps within each capture, says so."""

    def test_copies_of_one_wake_are_not_sleep(self):
        files = [os.path.join(REAL_HOME, 'all-devices__my-firewall__%s.pcap' % side)
                 for side in ('lan', 'wan', 'wlan2.4')]
        evs, _ = events('-r', *files)
        sleepers = sorted(mac for mac, d in summaries(evs).items()
                          if 'sleeps' in d['signals'].get('device.behaviour', []))
        self.assertEqual(sleepers, ['a0:92:08:7b:03:1c'])


class Fingerprints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, 'sentinel.model')
        with open(SENTINEL) as f:
            cls.rows = [r for r in csv.reader(f, delimiter='\t') if len(r) == 3]
        # train on all captures but one per type, keep those for testing
        seen, cls.held_out = set(), []
        train = os.path.join(cls.tmp.name, 'train.tsv')
        base = os.path.dirname(SENTINEL)
        with open(train, 'w') as f:
            for path, label, mac in cls.rows:
                if label not in seen:
                    seen.add(label)
                    cls.held_out.append((os.path.join(base, path), label, mac))
                else:
                    f.write('%s\t%s\t%s\n' % (os.path.join(base, path), label, mac))
        p = fp('train', train, '-o', cls.model)
        assert re.search(r'trained .*: \d+ samples, 31 labels', p.stdout.decode()), p.stdout

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_held_out_types(self):
        right = 0
        for path, label, mac in self.held_out:
            evs, _ = events('-r', path, '--fingerprints', self.model)
            d = summaries(evs)[mac]
            self.assertIn(d['identity']['type'], (label, 'unknown') + tuple(
                r[1] for r in self.rows))
            right += d['identity']['type'] == label
            if d['identity']['type'] == label:
                self.assertEqual(d['fingerprint']['label'], label)
                self.assertIsNotNone(d['identity']['class'], label)  # via 90-sentinel.rules
        self.assertGreaterEqual(right / len(self.held_out), 0.9, right)

    def test_unknown(self):
        evs, _ = events('-r', pcap('demo'), '--fingerprints', self.model)
        printer = [d for m, d in summaries(evs).items() if m.startswith('3c:2a:f4')][0]
        self.assertEqual(printer['identity']['type'], 'unknown')
        self.assertEqual(printer['fingerprint']['label'], 'unknown')
        self.assertEqual(printer['identity']['class'], 'printer')  # the rules still work

    def test_corrupt_and_truncated_model(self):
        with open(self.model, 'rb') as f:
            data = f.read()
        bad = os.path.join(self.tmp.name, 'bad.model')
        for name, blob, msg in (
                ('truncated', data[:len(data) // 2], 'bad.model:'),
                ('flipped', data.replace(b'\t0\t', b'\t1\t', 1), 'checksum mismatch'),
                ('garbage', b'\x00\xff' * 100, 'not a mudguard fingerprint model')):
            with open(bad, 'wb') as f:
                f.write(blob)
            p = run('-r', pcap('demo'), '--fingerprints', bad, check=False)
            self.assertEqual(p.returncode, 1, name)
            self.assertIn(msg, p.stderr.decode(), name)

    def test_cross_validation_target(self):
        p = fp('eval', SENTINEL, '--folds', '5')
        out = p.stdout.decode()
        acc = float(re.search(r'^accuracy ([0-9.]+)', out, re.M).group(1))
        self.assertGreaterEqual(acc, 0.95, out)
        self.assertRegex(out, r'(?m)^TP-LinkPlugHS110\s+[0-9.]+\s+[0-9.]+\s+10$')
        self.assertIn('most confused', out)
        within = float(re.search(r'within 1 s ([0-9.]+)%', out).group(1))
        self.assertGreater(within, 50.0, out)

    def test_labels_errors(self):
        with tempfile.NamedTemporaryFile('w', suffix='.tsv') as f:
            f.write('# comment\nno-tabs-here\nmissing.pcap\tX\t00:11:22:33:44:55\n'
                    'x.pcap\tY\tnot-a-mac\n')
            f.flush()
            p = fp('train', f.name, '-o', os.path.join(self.tmp.name, 'm'), check=False)
            err = p.stderr.decode()
            self.assertIn('%s:2: expected pcap-path<TAB>label<TAB>mac' % f.name, err)
            self.assertIn('%s:4: bad MAC address' % f.name, err)
            self.assertIn('missing.pcap', err)
            self.assertNotEqual(p.returncode, 0)  # nothing usable left


if __name__ == '__main__':
    unittest.main(verbosity=2)
