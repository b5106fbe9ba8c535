"""MUD binding and matching on replays: learned profiles (mudguard-mud learn) lint,
replaying the capture they came from gives no violation, a capture where a device
leaves its profile gives exactly the new flows; the MUD URL captures bind; site
rules bind by identity; the Luminaire signature in the local repository."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

MUD = os.environ['MUDGUARD_MUD']
MUDGUARD = os.environ['MUDGUARD']
GEN = os.environ['MUDGUARD_GEN']
PCAPS = os.environ['MG_PCAPS']
VECTORS = os.path.join(os.environ['MG_DATASETS'], 'mud-vectors')
LUMINAIRE = 'CiscoDevNet__MUD-Manager__examples_luminaire_'
HUB = 'd0:52:a8:10:04:d5'
CAMERA = '44:19:b6:10:00:95'
PLUG = '50:c7:bf:10:01:52'
KINDS = {HUB: 'smartthings/hub-v3.json', CAMERA: 'hikvision/ds-2cd.json',
         PLUG: 'tplink/hs110.json'}


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=300, **kw)
    if p.returncode != 0:
        raise AssertionError('%s failed (%d): %s' % (args, p.returncode, p.stderr.decode()[-2000:]))
    return p


def replay(pcap, conf, *extra):
    p = run([MUDGUARD, '-c', conf, '-r', pcap, '-o', '-', *extra])
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def write_conf(d, repo, rules=None, extra=''):
    if rules is None:
        rules = os.path.join(d, 'rules')
        os.makedirs(rules, exist_ok=True)
        open(os.path.join(rules, 'site.rules'), 'w').close()
    conf = os.path.join(d, 'mudguard.conf')
    with open(conf, 'w') as f:
        f.write('[mud]\nrepository = %s\nrules = %s\n%s' % (repo, rules, extra))
    return conf


def of(events, kind):
    return [e for e in events if e['event_type'] == kind]


class Learned(unittest.TestCase):
    """Profiles learned from the benign capture, checked against other captures."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.repo = os.path.join(cls.tmp, 'repo')
        cls.pcap = os.path.join(PCAPS, 'benign.pcap')
        for mac, path in KINDS.items():
            out = os.path.join(cls.repo, 'mud.example.com', path)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            run([MUD, 'learn', '-r', cls.pcap, '--mac', mac, '-o', out])
        cls.conf = write_conf(cls.tmp, cls.repo)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_learned_profiles_lint(self):
        files = sorted(glob.glob(os.path.join(self.repo, '*', '*', '*.json')))
        self.assertEqual(len(files), 3)
        p = run([MUD, 'lint', *files])
        self.assertEqual(p.stdout.decode().count(': ok: https://mud.example.com/'), 3)
        hub = json.load(open(os.path.join(self.repo, 'mud.example.com', KINDS[HUB])))
        aces = [a for acl in hub['ietf-access-control-list:acls']['acl']
                for a in acl['aces']['ace']]
        names = {a['matches'].get('ipv4', {}).get('ietf-acldns:dst-dnsname') for a in aces}
        # the cloud by the name the device resolved, not by its address
        self.assertIn('dc.connect.smartthings.example', names)

    def test_same_capture_no_violation(self):
        ev = replay(self.pcap, self.conf)
        binds = of(ev, 'mud_binding')
        self.assertEqual(sorted(b['mac'] for b in binds), sorted(KINDS))
        for b in binds:
            self.assertEqual(b['status'], 'bound', b)
            self.assertEqual(b['source'], 'dhcp')
            self.assertTrue(b['profile']['origin'].startswith('repository '), b)
        self.assertEqual(of(ev, 'mud_violation'), [])
        final = [e for e in of(ev, 'stats') if e['final']][0]
        self.assertGreater(final['mud']['flows_checked'], 100)
        self.assertEqual(final['mud']['violating_flows'], 0)

    def test_c2_exactly_the_new_flow(self):
        """The hub resolves a new domain and joins an IRC server: one violation,
        with the flow, the name, the profile and the closest entry."""
        ev = replay(os.path.join(PCAPS, 'c2.pcap'), self.conf)
        v = of(ev, 'mud_violation')
        self.assertEqual(len(v), 1, v)
        v = v[0]
        self.assertEqual(v['mac'], HUB)
        self.assertEqual((v['proto'], v['dest_port'], v['direction']), ('TCP', 6667, 'from-device'))
        self.assertEqual(v['peer_name'], 'xj4kq9zt7w.top')
        self.assertEqual(v['mud_url'], 'https://mud.example.com/smartthings/hub-v3.json')
        self.assertEqual(v['reason'], 'no entry matched')
        self.assertIn('destination port eq 443, the flow has 6667', v['why'])
        self.assertIn('acl', v['closest'])
        self.assertEqual(v['verdict'], 'alert')

    def test_scan_is_rate_limited_and_counted(self):
        ev = replay(os.path.join(PCAPS, 'mirai.pcap'), self.conf)
        v = of(ev, 'mud_violation')
        self.assertEqual({e['mac'] for e in v}, {CAMERA})
        self.assertEqual(len(v), 20)  # violations_per_minute
        self.assertTrue(all(e['dest_port'] in (23, 2323) for e in v))
        final = [e for e in of(ev, 'stats') if e['final']][0]['mud']
        self.assertEqual(final['violating_flows'], 600)
        self.assertEqual(final['violation_events'] + final['suppressed'], 600)
        cam = [e for e in of(ev, 'device_summary') if e['mac'] == CAMERA][0]['mud']
        self.assertEqual(cam['distinct_violations'], 600)
        self.assertEqual(cam['suppressed'], 580)

    def test_quarantine_policy(self):
        conf = write_conf(self.tmp, self.repo, extra='quarantine = yes\n')
        ev = replay(os.path.join(PCAPS, 'c2.pcap'), conf)
        self.assertEqual([v['verdict'] for v in of(ev, 'mud_violation')], ['quarantine'])

    def test_new_behaviour_with_learn_on_both(self):
        """learn over benign + c2 covers the C2 flow too: no violation left."""
        out = os.path.join(self.tmp, 'both.json')
        run([MUD, 'learn', '-r', self.pcap, os.path.join(PCAPS, 'c2.pcap'), '--mac', HUB,
             '-o', out])
        repo = os.path.join(self.tmp, 'repo2')
        dst = os.path.join(repo, 'mud.example.com', KINDS[HUB])
        os.makedirs(os.path.dirname(dst))
        shutil.copy(out, dst)
        ev = replay(os.path.join(PCAPS, 'c2.pcap'), write_conf(self.tmp, repo))
        self.assertEqual(of(ev, 'mud_violation'), [])


class Bindings(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(VECTORS), 'datasets absent')
    def test_url_captures_bind(self):
        want = {'dhcp-mud': 'dhcp', 'dhcpv6-mud': 'dhcp6', 'lldp_mudurl': 'lldp'}
        with tempfile.TemporaryDirectory() as d:
            conf = write_conf(d, os.path.join(d, 'empty-repo'))
            for cap, source in want.items():
                pcap = os.path.join(VECTORS, 'the-tcpdump-group__tcpdump__tests_%s.pcap' % cap)
                b = of(replay(pcap, conf), 'mud_binding')
                self.assertGreaterEqual(len(b), 1, cap)
                self.assertEqual(b[0]['source'], source)
                self.assertTrue(b[0]['mud_url'].startswith('https://'), b[0])
                # not in the (empty) repository and fetching is off: said so
                self.assertEqual(b[0]['status'], 'no_profile')
                self.assertIn('fetching is off', b[0]['reason'])

    def test_rejected_url(self):
        """A URL that is not https is rejected with the reason, never fetched."""
        with tempfile.TemporaryDirectory() as d:
            pcap = os.path.join(d, 'http.pcap')
            run([GEN, 'benign', pcap])
            data = open(pcap, 'rb').read()
            # same length: https://mud.example.com -> http://mud.example.comm
            data = data.replace(b'https://mud.example.com/hikvision/ds-2cd.json',
                                b'http://mud.example.com/hikvision/ds-2cd.jsonx')
            open(pcap, 'wb').write(data)
            b = [e for e in of(replay(pcap, write_conf(d, d)), 'mud_binding')
                 if e['mac'] == CAMERA]
            self.assertEqual(b[0]['status'], 'rejected')
            self.assertIn('not an https URL', b[0]['reason'])

    def test_bind_by_identity(self):
        """A device without a URL is bound by a site rule on its identity."""
        with tempfile.TemporaryDirectory() as d:
            rules = os.path.join(d, 'rules')
            os.makedirs(rules)
            with open(os.path.join(rules, 'site.rules'), 'w') as f:
                f.write('bind vendor "Philips Hue" https://mud.example.com/philips/hue.json\n')
            ev = replay(os.path.join(PCAPS, 'benign.pcap'), write_conf(d, d, rules))
            b = [e for e in of(ev, 'mud_binding') if e['mud_url'].endswith('hue.json')]
            self.assertEqual(len(b), 1)
            self.assertRegex(b[0]['source'], r'^rules site.rules:1 \(vendor=Philips Hue\)$')
            with open(os.path.join(rules, 'site.rules'), 'w') as f:
                f.write('bind colour red https://mud.example.com/x.json\n')
            p = subprocess.run([MUDGUARD, '-c', write_conf(d, d, rules), '-r',
                                os.path.join(PCAPS, 'benign.pcap'), '-o', '/dev/null'],
                               capture_output=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('site.rules:1: unknown attribute "colour"', p.stderr.decode())

    @unittest.skipUnless(os.path.isdir(VECTORS), 'datasets absent')
    def test_signature_in_repository(self):
        """The signed Luminaire example: its CA expired in 2019, so the signature
        fails, and the file is refused even from the repository; with time
        checks off it verifies."""
        with tempfile.TemporaryDirectory() as d:
            repo = os.path.join(d, 'repo', 'luminaire.example.com')
            os.makedirs(repo)
            shutil.copy(os.path.join(VECTORS, LUMINAIRE + 'fs_Luminaire_150.json'),
                        os.path.join(repo, 'Luminaire_150'))
            shutil.copy(os.path.join(VECTORS, LUMINAIRE + 'fs_Luminaire_150.p7s'),
                        os.path.join(repo, 'Luminaire_150.p7s'))
            rules = os.path.join(d, 'rules')
            os.makedirs(rules)
            with open(os.path.join(rules, 'site.rules'), 'w') as f:
                f.write('bind vendor "Philips Hue" https://luminaire.example.com/Luminaire_150\n')
            ca = os.path.join(VECTORS, LUMINAIRE + 'luminaire-cacert.pem')
            for check_time, status in (('yes', 'no_profile'), ('no', 'bound')):
                conf = write_conf(d, os.path.join(d, 'repo'), rules,
                                  'trust_anchors = %s\ncheck_time = %s\n' % (ca, check_time))
                b = [e for e in of(replay(os.path.join(PCAPS, 'benign.pcap'), conf), 'mud_binding')
                     if e['mud_url'] == 'https://luminaire.example.com/Luminaire_150']
                self.assertEqual(len(b), 1)
                self.assertEqual(b[0]['status'], status, b[0])
                sig = b[0]['profile']['signature']
                if status == 'bound':
                    self.assertEqual(sig, 'verified: /O=Demo Luminaire Manufacturer/CN=luminaire.example.com')
                else:
                    self.assertIn('certificate has expired', sig)


if __name__ == '__main__':
    unittest.main(verbosity=2)
