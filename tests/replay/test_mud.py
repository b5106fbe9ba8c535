"""mudguard-mud lint: every real profile in ../shared/datasets/mud lints (warnings
allowed); broken files fail with file, line, column and JSON path."""
import glob
import json
import os
import re
import subprocess
import tempfile
import unittest

MUD = os.environ['MUDGUARD_MUD']
MUDGUARD = os.environ['MUDGUARD']
VECTORS = os.path.join(os.environ['MG_DATASETS'], 'mud-vectors')
TCPDUMP = 'the-tcpdump-group__tcpdump__tests_'
# capture -> (tcpdump's decoded output, our signal)
URL_CAPTURES = {
    'dhcp-mud': ('dhcp-mud.out', 'dhcp.mud_url'),
    'dhcpv6-mud': ('dhcpv6-mud.out', 'dhcp6.mud_url'),
    'lldp_mudurl': ('lldp_mudurl-v.out', 'lldp.mud_url'),
}
DATASETS = os.environ['MG_DATASETS']


def lint(*files):
    return subprocess.run([MUD, 'lint', *files], capture_output=True, timeout=120)


class Lint(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(os.path.join(DATASETS, 'mud')), 'datasets absent')
    def test_real_profiles(self):
        files = sorted(f for f in glob.glob(os.path.join(DATASETS, 'mud', '*'))
                       if not f.endswith('.tsv'))
        self.assertGreaterEqual(len(files), 40)
        p = lint(*files)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        out = p.stdout.decode().splitlines()
        self.assertEqual(len(out), len(files))
        for line in out:
            self.assertRegex(line, r': ok: https?://\S+, \d+ ACLs, \d+ entries, \d+ warnings?$')
        # draft-era and broken constructs are reported, not dropped
        err = p.stderr.decode()
        self.assertIn('ietf-acldns:s:qrc-dnsname: warning: this match is not supported', err)

    def test_broken_files(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, 'bad.json')
            with open(bad, 'w') as f:
                f.write('{"ietf-mud:mud": {"mud-url": "https://x.example/a",\n'
                        ' "from-device-policy": {"access-lists": {"access-list": '
                        '[{"name": "gone"}]}}}}\n')
            notjson = os.path.join(d, 'notjson.json')
            with open(notjson, 'w') as f:
                f.write('{\n "a": [1, 2,\n}\n')
            p = lint(bad, notjson, os.path.join(d, 'missing.json'))
            self.assertEqual(p.returncode, 1)
            err = p.stderr.decode()
            self.assertIn(bad + ':2:2: /ietf-mud:mud/from-device-policy: ACL "gone" is not defined',
                          err)
            self.assertIn(notjson + ':3:', err)
            self.assertIn('missing.json: No such file or directory', err)


@unittest.skipUnless(os.path.isdir(VECTORS), 'datasets absent')
class MudUrls(unittest.TestCase):
    def test_urls_match_tcpdump(self):
        # DHCPv4 through a relay agent (chaddr), DHCPv6 in a relay-forward (the
        # DUID's link-layer address), LLDP (the sender)
        for cap, (out, signal) in URL_CAPTURES.items():
            with open(os.path.join(VECTORS, TCPDUMP + out)) as f:
                text = f.read()
            url = re.search(r'MUD-URL[ =](?:\(161\), length \d+: ")?(https://[^"\s)]+)', text).group(1)
            mac = re.search(r'Client-Ethernet-Address (\S+)|hwaddr/time type 1 time \d+ ([0-9a-f]{12})'
                            r'|Subtype MAC address \(4\): (\S+)', text)
            mac = next(g for g in mac.groups() if g)
            if ':' not in mac:
                mac = ':'.join(mac[i:i + 2] for i in range(0, 12, 2))
            p = subprocess.run([MUDGUARD, '-r', os.path.join(VECTORS, TCPDUMP + cap + '.pcap')],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            devs = {e['mac']: e for e in map(json.loads, p.stdout.decode().splitlines())
                    if e['event_type'] == 'device_summary'}
            with self.subTest(capture=cap):
                self.assertIn(mac, devs)
                self.assertEqual(devs[mac]['signals'].get(signal), [url])


if __name__ == '__main__':
    unittest.main(verbosity=2)
