"""Replay tests: run mudguard on the generated captures under tests/pcaps and
assert on the events (which devices, vendors, addresses, protocols, counters),
plus the error paths of the replay front end."""
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pcaputil  # noqa: E402

MUDGUARD = os.environ['MUDGUARD']
GEN = os.environ['MUDGUARD_GEN']
PCAPS = os.environ['MG_PCAPS']


def pcap(name):
    return os.path.join(PCAPS, name + '.pcap')


def run(*args, stdin=None, check=True):
    p = subprocess.run([MUDGUARD, *args], stdin=stdin, capture_output=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError('mudguard %s exited %d: %s' % (' '.join(args), p.returncode,
                                                           p.stderr.decode()))
    return p


def events(*args, **kw):
    p = run(*args, **kw)
    return [json.loads(line) for line in p.stdout.decode().splitlines()], p


def by_type(evs, t):
    return [e for e in evs if e['event_type'] == t]


def summaries(evs):
    return {e['mac']: e for e in by_type(evs, 'device_summary')}


def final_stats(evs):
    s = [e for e in by_type(evs, 'stats') if e['final']]
    assert len(s) == 1, 'exactly one final stats event'
    return s[0]


# The generator's devices in the demo capture: MAC prefix -> (vendor, protocols)
DEMO = {
    '44:19:b6': ('Hikvision', {'DHCP', 'DNS', 'TLS', 'HTTP', 'SSDP', 'NTP'}),
    '50:c7:bf:10': ('TP-LINK', {'DHCP', 'DNS', 'TLS'}),
    '00:17:88': ('Philips', {'DHCP', 'DNS', 'TLS', 'MQTT', 'MDNS', 'SSDP', 'HTTP'}),
    '00:0e:58': ('Sonos', {'DHCP', 'MDNS', 'SSDP', 'TLS', 'HTTP'}),
    'd0:52:a8': ('Physical Graph', {'DHCP', 'MDNS', 'TLS', 'MQTT'}),
    '18:b4:30': ('Nest', {'DHCP', 'DNS', 'TLS'}),
    'b0:a7:37': ('Roku', {'DHCP', 'MDNS', 'SSDP', 'HTTP', 'TLS'}),
    '3c:2a:f4': ('Brother', {'DHCP', 'MDNS', 'TLS'}),
}
GATEWAY = '50:c7:bf:00:00:01'
PHONE = '02:6a:11'


class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.evs, cls.proc = events('-r', pcap('demo'))
        cls.sum = summaries(cls.evs)

    def find(self, prefix):
        hits = [m for m in self.sum if m.startswith(prefix)]
        self.assertEqual(len(hits), 1, 'one device with MAC prefix %s' % prefix)
        return self.sum[hits[0]]

    def test_every_event_has_timestamp_and_type(self):
        for e in self.evs:
            self.assertRegex(e['timestamp'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
            self.assertIn('event_type', e)
        # replay time comes from packets: the capture is of 2025-01-01
        self.assertTrue(all(e['timestamp'].startswith('2025-01-01') for e in self.evs))

    def test_devices_vendors_protocols(self):
        self.assertEqual(len(self.sum), 10)  # 9 devices + gateway
        for prefix, (vendor, protos) in DEMO.items():
            d = self.find(prefix)
            self.assertIn(vendor, d['vendor'], prefix)
            self.assertEqual(d['role'], 'device', prefix)
            seen = {p.split('.')[0] for p in d['protocols']}
            self.assertTrue(protos <= seen, '%s: %s not in %s' % (prefix, protos, seen))
            self.assertTrue(any('dhcp' in a['learned_from'] for a in d['addresses']))
            self.assertTrue(d['addresses'][0]['ip'].startswith('192.168.1.'))
            self.assertGreater(d['pkts_out'], 0)
            self.assertGreater(d['bytes_in'], 0)
            self.assertGreater(d['peers'], 1)

    def test_one_device_event_per_device(self):
        macs = [e['mac'] for e in by_type(self.evs, 'device')]
        self.assertEqual(len(macs), len(set(macs)))
        self.assertEqual(set(macs), set(self.sum))
        for e in self.evs:
            if 'mac' in e:
                self.assertRegex(e['mac'], r'^([0-9a-f]{2}:){5}[0-9a-f]{2}$')

    def test_gateway(self):
        gw = self.sum[GATEWAY]
        self.assertEqual(gw['role'], 'gateway')
        roles = [e for e in by_type(self.evs, 'role') if e['mac'] == GATEWAY]
        self.assertEqual(roles[0]['role'], 'gateway')
        self.assertIn('dhcp_server', roles[0]['reasons'])
        self.assertEqual([m for m, d in self.sum.items() if d['role'] == 'gateway'], [GATEWAY])

    def test_randomized_phone(self):
        d = self.find(PHONE)
        self.assertTrue(d['randomized_mac'])
        self.assertIsNone(d['vendor'])
        for m, s in self.sum.items():
            if not m.startswith(PHONE):
                self.assertFalse(s['randomized_mac'], m)

    def test_camera_scan_is_visible(self):
        cam = self.find('44:19:b6')
        self.assertGreaterEqual(cam['flows_out'], 200)
        self.assertTrue(any(p.startswith('Telnet') for p in cam['protocols']))

    def test_final_stats(self):
        st = final_stats(self.evs)
        _, frames = pcaputil.read_pcap(pcap('demo'))
        self.assertEqual(st['packets'], len(frames))
        self.assertEqual(st['bytes'], sum(len(b) for _, _, b in frames))
        self.assertEqual(st['decode_anomalies'], {})
        self.assertEqual(st['devices']['created'], 10)
        self.assertGreater(st['flows']['created'], 400)
        self.assertEqual(st['flows']['active'], 0)
        self.assertEqual(st['dpi']['in_progress'], 0)
        self.assertEqual(st['dpi']['detected'] + st['dpi']['gave_up'],
                         st['flows']['created'])
        # periodic stats every 60 s of packet time over ~10 minutes
        self.assertGreaterEqual(len(by_type(self.evs, 'stats')), 9)

    def test_summary_table(self):
        table = self.proc.stderr.decode()
        self.assertEqual(table, '')  # only with --summary
        p = run('-r', pcap('demo'), '--summary')
        lines = p.stderr.decode().splitlines()
        self.assertTrue(lines[0].startswith('MAC'))
        self.assertEqual(len(lines), 11)
        self.assertTrue(any('gateway' in line and GATEWAY in line for line in lines))


class Attacks(unittest.TestCase):
    def test_mirai_scan(self):
        evs, _ = events('-r', pcap('mirai'))
        cam = [d for m, d in summaries(evs).items() if m.startswith('44:19:b6')][0]
        self.assertGreaterEqual(cam['flows_out'], 600)
        self.assertGreaterEqual(cam['peers'], 590)

    def test_synflood(self):
        evs, _ = events('-r', pcap('synflood'))
        plug = [d for m, d in summaries(evs).items() if m.startswith('50:c7:bf:10')][0]
        # 3000 SYNs from random source ports: a few share a tuple and a flow
        self.assertGreaterEqual(plug['flows_out'], 2900)

    def test_udpflood(self):
        evs, _ = events('-r', pcap('udpflood'))
        bulb = [d for m, d in summaries(evs).items() if m.startswith('00:17:88')][0]
        self.assertGreaterEqual(bulb['pkts_out'], 2000)

    def test_lateral(self):
        evs, _ = events('-r', pcap('lateral'), '--flows')
        tv = [m for m in summaries(evs) if m.startswith('b0:a7:37')][0]
        local = {e['dest_ip'] for e in by_type(evs, 'flow')
                 if e['src_mac'] == tv and e['dest_ip'].startswith('192.168.1.')
                 and e.get('dest_port') in (22, 23)}
        self.assertGreaterEqual(len(local), 8)

    def test_c2_irc(self):
        evs, _ = events('-r', pcap('c2'), '--flows')
        irc = [e for e in by_type(evs, 'flow') if e['dest_port'] == 6667]
        self.assertEqual(len(irc), 1)
        self.assertEqual(irc[0]['app_proto'], 'IRC')
        self.assertTrue(irc[0]['src_mac'].startswith('d0:52:a8'))


class Flows(unittest.TestCase):
    def test_flow_records(self):
        evs, _ = events('-r', pcap('benign'), '--flows')
        flows = by_type(evs, 'flow')
        st = final_stats(evs)
        self.assertEqual(len(flows), st['flows']['created'])
        self.assertEqual(len({f['flow_id'] for f in flows}), len(flows))
        tls = [f for f in flows if f.get('dest_port') == 443]
        self.assertTrue(tls)
        for f in tls:
            self.assertEqual(f['proto'], 'TCP')
            self.assertTrue(f['app_proto'].startswith('TLS'), f)
            self.assertGreaterEqual(f['flow']['pkts_toserver'], 4)
            self.assertGreaterEqual(f['flow']['pkts_toclient'], 3)
            self.assertIn(f['flow']['reason'], ('closed', 'shutdown'))
        dns = [f for f in flows if f.get('dest_port') == 53]
        self.assertTrue(all(f['proto'] == 'UDP' and f['app_proto'].startswith('DNS') for f in dns))
        self.assertTrue(all(f['flow']['reason'] in ('timeout', 'shutdown') for f in dns))


class Determinism(unittest.TestCase):
    def test_same_bytes(self):
        a = run('-r', pcap('demo'), '--flows').stdout
        b = run('-r', pcap('demo'), '--flows').stdout
        self.assertEqual(a, b)
        self.assertGreater(len(a), 1000)

    def test_generator_reproduces_committed_captures(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([GEN, '--all', d], check=True, capture_output=True)
            names = sorted(os.listdir(d))
            self.assertIn('demo.pcap', names)
            for n in names:
                self.assertTrue(filecmp.cmp(os.path.join(d, n), os.path.join(PCAPS, n),
                                            shallow=False), n)
            subprocess.run([GEN, '-s', '7', 'demo', os.path.join(d, 'x.pcap')],
                           check=True, capture_output=True)
            self.assertFalse(filecmp.cmp(os.path.join(d, 'x.pcap'), pcap('demo'),
                                         shallow=False))


class Inputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name
        self.link, self.frames = pcaputil.read_pcap(pcap('demo'))

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def test_several_files_in_order(self):
        evs, _ = events('-r', pcap('demo'), '-r', pcap('c2'))
        _, c2 = pcaputil.read_pcap(pcap('c2'))
        self.assertEqual(final_stats(evs)['packets'], len(self.frames) + len(c2))
        evs2, _ = events('-r', pcap('demo'), pcap('c2'))  # positional form
        self.assertEqual(final_stats(evs2)['packets'], len(self.frames) + len(c2))

    def test_stdin(self):
        with open(pcap('demo'), 'rb') as f:
            a = run('-r', '-', stdin=f).stdout
        self.assertEqual(a, run('-r', pcap('demo')).stdout)

    def test_pcapng(self):
        pcaputil.write_pcapng(self.path('demo.pcapng'), 1, self.frames)
        a = run('-r', self.path('demo.pcapng')).stdout
        self.assertEqual(a, run('-r', pcap('demo')).stdout)

    def check_cooked(self, linktype, frames, name):
        pcaputil.write_pcap(self.path(name), linktype, frames)
        evs, _ = events('-r', self.path(name))
        st = final_stats(evs)
        self.assertEqual(st['packets'], len(frames))
        self.assertEqual(st['decode_anomalies'], {})
        return summaries(evs)

    def test_linux_cooked_v1_and_v2(self):
        for lt, conv in ((113, pcaputil.to_sll), (276, pcaputil.to_sll2)):
            devs = self.check_cooked(lt, conv(self.frames), 'c%d.pcap' % lt)
            self.assertIn(GATEWAY, devs)
            self.assertTrue(any(m.startswith('00:17:88') for m in devs))
            self.assertEqual(devs[GATEWAY]['role'], 'gateway')

    def test_raw_ip(self):
        raw = pcaputil.to_raw(self.frames)
        pcaputil.write_pcap(self.path('raw.pcap'), 101, raw)
        evs, _ = events('-r', self.path('raw.pcap'), '--flows')
        st = final_stats(evs)
        self.assertEqual(st['packets'], len(raw))
        self.assertEqual(st['decode_anomalies'], {})
        self.assertGreater(len(by_type(evs, 'flow')), 400)
        # no link layer: devices are known only from DHCP payloads, and no
        # frame is attributed to a MAC
        devs = summaries(evs)
        self.assertEqual(len(devs), 9)
        self.assertTrue(all(d['pkts_out'] == 0 for d in devs.values()))

    def test_truncated_last_record(self):
        with open(pcap('demo'), 'rb') as f:
            data = f.read()
        with open(self.path('trunc.pcap'), 'wb') as f:
            f.write(data[:-30])
        evs, p = events('-r', self.path('trunc.pcap'))
        self.assertIn('warning', p.stderr.decode())
        self.assertIn('trunc.pcap', p.stderr.decode())
        st = final_stats(evs)
        self.assertEqual(st['capture']['files_truncated'], 1)
        self.assertEqual(st['packets'], len(self.frames) - 1)

    def test_missing_file(self):
        p = run('-r', self.path('nope.pcap'), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('nope.pcap', p.stderr.decode())

    def test_not_a_pcap(self):
        with open(self.path('text.pcap'), 'w') as f:
            f.write('hello, this is not a capture\n' * 10)
        p = run('-r', self.path('text.pcap'), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('text.pcap', p.stderr.decode())

    def test_bad_file_among_good_ones(self):
        p = run('-r', self.path('nope.pcap'), '-r', pcap('c2'), check=False)
        self.assertNotEqual(p.returncode, 0)
        evs = [json.loads(x) for x in p.stdout.decode().splitlines()]
        self.assertEqual(final_stats(evs)['capture']['files_failed'], 1)
        self.assertGreater(final_stats(evs)['packets'], 1000)

    def test_unsupported_link_type(self):
        pcaputil.write_pcap(self.path('usb.pcap'), 189, self.frames[:3])  # USB_LINUX
        p = run('-r', self.path('usb.pcap'), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('link type 189 (USB_LINUX) is not supported', p.stderr.decode())

    def test_malformed_frames_are_counted(self):
        good = self.frames[:50]
        bad = []
        for s, u, b in good[:5]:
            if b[12:14] == b'\x08\x00':
                x = bytearray(b)
                x[14] = 0x43  # IHL 3
                bad.append((s, u, bytes(x)))
        bad.append((good[5][0], good[5][1], good[5][2][:8]))  # short ethernet
        pcaputil.write_pcap(self.path('bad.pcap'), 1, good + bad)
        evs, _ = events('-r', self.path('bad.pcap'))
        an = final_stats(evs)['decode_anomalies']
        self.assertEqual(an.get('ipv4_bad_ihl'), len(bad) - 1)
        self.assertEqual(an.get('link_truncated'), 1)


class Config(unittest.TestCase):
    def test_bad_config_reported_and_run_continues(self):
        with tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False) as f:
            f.write('[capture]\nstats_interval = 0\n[flows]\nmax = 4096\n')
        try:
            p = run('-c', f.name, '--check-config', check=False)
            self.assertEqual(p.returncode, 1)
            err = p.stderr.decode()
            self.assertIn(f.name + ':2: capture.stats_interval must be between 1 and 86400',
                          err)
            evs, p = events('-c', f.name, '-r', pcap('c2'))
            self.assertIn('stats_interval', p.stderr.decode())
            self.assertGreater(len(by_type(evs, 'device_summary')), 5)
        finally:
            os.unlink(f.name)

    def test_example_config_is_clean(self):
        example = os.path.join(PCAPS, '..', '..', 'rules', 'mudguard.conf')
        p = run('-c', example, '--check-config', check=False)
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def test_flag_overrides_config(self):
        with tempfile.NamedTemporaryFile('w', suffix='.conf', delete=False) as f:
            f.write('[capture]\nstats_interval = 1000\n')
        try:
            evs, _ = events('-c', f.name, '-r', pcap('demo'))
            few = len(by_type(evs, 'stats'))
            evs, _ = events('-c', f.name, '-r', pcap('demo'), '--stats-interval', '30')
            self.assertGreater(len(by_type(evs, 'stats')), few + 10)
        finally:
            os.unlink(f.name)

    def test_bad_flag(self):
        p = run('-r', pcap('demo'), '--snaplen', '1', check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('between 64 and 262144', p.stderr.decode())

    def test_output_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'ev.json')
            p = run('-r', pcap('c2'), '-o', out)
            self.assertEqual(p.stdout, b'')
            with open(out) as f:
                self.assertEqual(f.read().encode(), run('-r', pcap('c2')).stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
