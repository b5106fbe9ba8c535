"""Behavioural baselines and anomaly detection (issue 5), on the generator's
soak: day 1 trains the baselines (--learn), day 2 is benign, and each attack
capture is a slice of day 2 with one device attacking. Every detector has a
capture it fires on (on the right device, within 5 s of the attack's start) and
a near miss it must stay silent on; restarts continue from the state file."""
import datetime
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pcaputil import read_pcap, read_pcapng, write_pcap  # noqa: E402

MUDGUARD = os.environ['MUDGUARD']
GEN = os.environ['MUDGUARD_GEN']
PCAPS = os.environ['MG_PCAPS']


def run(args, conf='', check=True):
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as c:
        c.write(conf)
        c.flush()
        p = subprocess.run([MUDGUARD, '-c', c.name, '-o', '-'] + args, capture_output=True,
                           timeout=300)
    if check and p.returncode:
        raise AssertionError('mudguard %s: %s' % (args, p.stderr.decode()))
    return [json.loads(x) for x in p.stdout.decode().splitlines()], p


def anomalies(ev):
    return [e for e in ev if e['event_type'] == 'anomaly']


def final_stats(ev):
    return [e for e in ev if e['event_type'] == 'stats' and e['final']][0]


def secs(ts):
    return datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()



def shift_to(src, dst, start):
    """Copies pcap @src to @dst with its packets moved to begin at @start (s)."""
    link, frames = read_pcap(src)
    delta = int(start) - frames[0][0]
    write_pcap(dst, link, [(sec + delta, usec, b) for sec, usec, b in frames])


class Soak(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='mg-soak-')
        subprocess.run([GEN, 'soak', cls.dir, '2'], check=True, capture_output=True)
        cls.base = os.path.join(cls.dir, 'baseline')
        run(['-r', cls.path('train.pcap'), '--learn', cls.base])
        cls.attacks = {}
        for line in open(cls.path('attacks.tsv')):
            if not line.startswith('#'):
                name, mac, start, _ = line.rstrip('\n').split('\t')
                cls.attacks[name] = (mac, secs(start))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def attack(self, name, conf='', baseline=True):
        ev, _ = run(['-r', self.path('attack-%s.pcap' % name)] +
                    (['--baseline', self.base] if baseline else []), conf)
        return ev

    def fires(self, name, detector, verdict=None, conf=''):
        """@detector fires on the attacking device within 5 s; no other device
        gets anything. Returns the detector's event."""
        mac, start = self.attacks[name]
        ev = self.attack(name, conf)
        a = anomalies(ev)
        self.assertTrue(a, name)
        self.assertEqual({e['mac'] for e in a}, {mac}, name)
        self.assertLessEqual(secs(a[0]['timestamp']) - start, 5, name)
        found = [e for e in a if e['detector'] == detector]
        self.assertTrue(found, '%s: %s not in %s' % (name, detector,
                                                    [e['detector'] for e in a]))
        e = found[0]
        self.assertLessEqual(secs(e['timestamp']) - start, 5, name)
        self.assertTrue(e['why'])
        if e.get('role') != 'target':  # a target's finding is not evidence: no episode
            self.assertIn(detector, e['episode'])
        if verdict:
            self.assertEqual(max(x['verdict'] for x in a), verdict, name)
        return e, ev

    def silent(self, name, detector, conf='', baseline=True):
        self.assertNotIn(detector, {e['detector'] for e in anomalies(
            self.attack(name, conf, baseline))}, name)

    # ---- the benign day: the near miss of every detector

    def test_benign_day(self):
        ev, _ = run(['-r', self.path('test.pcap'), '--baseline', self.base])
        self.assertEqual(anomalies(ev), [])
        st = final_stats(ev)['anomaly']
        self.assertEqual(st['quarantine_verdicts'], 0)
        self.assertGreater(st['quiet'], 0)  # the laptop meets new sites: weighed, not reported
        summ = {e['mac']: e for e in ev if e['event_type'] == 'device_summary'}
        # the camera that joined on day 2 is still learning; the others learned
        self.assertEqual(summ['44:19:b6:10:0a:e8']['baseline']['state'], 'learning')
        self.assertEqual(summ['44:19:b6:10:00:95']['baseline']['state'], 'learned')
        self.assertGreater(summ['44:19:b6:10:00:95']['baseline']['endpoints'], 0)

    def test_learn_is_deterministic(self):
        again = self.path('again')
        run(['-r', self.path('train.pcap'), '--learn', again])
        with open(self.base, 'rb') as a, open(again, 'rb') as b:
            self.assertEqual(a.read(), b.read())

    # ---- scans, lateral movement, floods

    def test_mirai(self):
        e, ev = self.fires('mirai', 'mirai_syn', 'quarantine')
        self.assertEqual(e['verdict'], 'quarantine')
        self.assertIn("Mirai's scanner", e['why'])
        self.assertEqual(e['evidence']['threshold'], 3)
        self.assertEqual(len(e['evidence']['sample_destinations']), 3)
        # once quarantined, what the camera sends is not evidence
        a = anomalies(ev)
        self.assertIs(a[-1], e)
        self.assertGreater(final_stats(ev)['anomaly']['while_quarantined'], 0)
        self.silent('mirai', 'mirai_syn', '[anomaly]\nmirai_syns = 601\n')

    def test_scan(self):
        e, _ = self.fires('scan', 'scan', 'quarantine')
        self.assertEqual(e['evidence']['port'], 7547)
        self.assertEqual(e['evidence']['distinct'], 64)
        self.assertIn('a port IoT malware hunts for', e['why'])
        self.silent('scan', 'scan', '[anomaly]\nscan_fanout = 301\n')

    def test_lateral(self):
        e, _ = self.fires('lateral', 'lateral')
        self.assertEqual(e['evidence']['ports'], 8)
        hosts = e['evidence']['distinct']
        self.assertIn('probed %d local hosts on 8 ports' % hosts, e['why'])
        # every device probed on all 8 ports stays just under twice the threshold
        pairs = 10 * 8  # the ten other devices of the soak
        self.silent('lateral', 'lateral', '[anomaly]\nscan_fanout = 100\nlateral_hosts = %d\n'
                    % (pairs // 2 + 1))

    def test_floods(self):
        for name, det, rate in (('synflood', 'syn_flood', 2000), ('udpflood', 'udp_flood', 2500),
                                ('icmpflood', 'icmp_flood', 500), ('dnsflood', 'dns_flood', 333)):
            e, _ = self.fires(name, det, 'quarantine')
            ev = e['evidence']
            self.assertEqual(ev['destinations'], 1)
            self.assertGreaterEqual(ev['rate_per_s'], ev['threshold'])
            self.assertIn('baseline_high_per_interval', ev)
            self.assertIn('within one second at 1 target', e['why'])
            key = {'syn_flood': 'flood_syn', 'udp_flood': 'flood_udp',
                   'icmp_flood': 'flood_icmp', 'dns_flood': 'flood_dns'}[det]
            # the same flood under a floor just above its rate (the benign
            # traffic of the second adds a few)
            self.silent(name, det, '[anomaly]\n%s = %d\n' % (key, rate * 11 // 10))
        # Mirai sends SYNs as fast, but to many targets: a scan, not a flood
        self.silent('mirai', 'syn_flood')

    def test_floods_many_source_ports(self):
        """A flood comes from many flows: its evidence says how many source ports."""
        e, _ = self.fires('synflood', 'syn_flood', 'quarantine')
        self.assertGreater(e['evidence']['source_ports'], 150)

    # ---- not attacks by the device: at most an alert

    def test_reconnect_storm(self):
        """One connection retried 200 times a second, refused by RSTs: a
        connect storm, an alert, never a flood or a quarantine."""
        e, ev = self.fires('storm', 'connect_storm', 'alert')
        x = e['evidence']
        self.assertEqual((x['peer'], x['port'], x['protocol'], x['answer'], x['source_ports']),
                         ('192.168.1.14', 8883, 'TCP', 'rst', 1))
        self.assertGreaterEqual(x['attempts'], 200)
        self.assertIn('not a flood', e['why'])
        dets = {a['detector'] for a in anomalies(ev)}
        self.assertNotIn('syn_flood', dets)
        self.assertNotIn('rate', dets)  # retries of one tuple are not new flows
        self.assertEqual(final_stats(ev)['anomaly']['quarantine_verdicts'], 0)
        # near miss: under a floor above its rate
        self.silent('storm', 'connect_storm', '[anomaly]\nflood_syn = 250\n')

    def test_resend_loop(self):
        e, ev = self.fires('resend', 'connect_storm', 'alert')
        x = e['evidence']
        self.assertEqual((x['peer'], x['port'], x['protocol'], x['answer'], x['source_ports']),
                         ('192.168.1.14', 5683, 'UDP', 'icmp-unreachable', 1))
        self.assertEqual(final_stats(ev)['anomaly']['quarantine_verdicts'], 0)
        self.silent('resend', 'connect_storm', '[anomaly]\nflood_udp = 250\n')

    def test_targets(self):
        """A device flooded from the Internet is the target: an alert that
        names it so, never a quarantine, and its answers are not findings."""
        for name, det, proto, sources in (('synvictim', 'syn_flood_target', 'TCP', 2000),
                                          ('reflection', 'reflection_target', 'UDP', 60)):
            e, ev = self.fires(name, det, 'alert')
            self.assertEqual(e['role'], 'target')
            self.assertNotIn('combined_score', e)
            x = e['evidence']
            self.assertEqual(x['protocol'], proto)
            self.assertGreaterEqual(x['rate_per_s'], x['threshold'])
            self.assertEqual(len(x['sample_sources']), 4)
            self.assertLessEqual(x['sources'], sources)
            self.assertGreaterEqual(x['sources'], 60 if proto == 'UDP' else 150)
            self.assertEqual([a['detector'] for a in anomalies(ev)], [det], name)
            st = final_stats(ev)['anomaly']
            self.assertEqual((st['quarantine_verdicts'], st['targets']), (0, 1), name)
        self.assertEqual(self.fires('synvictim', 'syn_flood_target')[0]['evidence']['port'], 80)

    def test_flood_threshold_follows_baseline(self):
        """The flood threshold is factor x the learned high, never under the floor."""
        e, _ = self.fires('synflood', 'syn_flood', conf='[anomaly]\nbaseline_factor = 2\n')
        self.assertEqual(e['evidence']['baseline_high_per_interval'], 3)
        self.assertEqual(e['evidence']['threshold'], 200)  # the floor: 2 x 3 is less
        e, _ = self.fires('synflood', 'syn_flood', conf='[anomaly]\nbaseline_factor = 100\n')
        self.assertEqual(e['evidence']['threshold'], 300)

    # ---- rates, DNS

    def test_rate_beyond_baseline(self):
        e, _ = self.fires('scan', 'rate')
        ev = e['evidence']
        self.assertEqual(ev['metric'], 'destinations')
        self.assertGreater(ev['count'], ev['threshold'])
        self.assertEqual(ev['threshold'], max(50, 4 * ev['baseline_high']))
        self.assertIn("learned high is %d" % ev['baseline_high'], e['why'])
        self.silent('scan', 'rate', '[anomaly]\nbaseline_factor = 1000\n')

    def test_nxdomain_and_dga(self):
        e, _ = self.fires('dga', 'nxdomain_burst')
        self.assertEqual(e['evidence']['metric'], 'nxdomain')
        self.assertEqual(e['evidence']['count'], 13)
        e, ev = self.fires('dga', 'dga', 'quarantine')
        self.assertGreaterEqual(e['evidence']['dga_score'], 0.6)
        self.assertIn('machine-generated', e['why'])
        # the connection that followed is what makes it a quarantine
        peer = [x for x in anomalies(ev) if x['detector'] == 'new_peer'][0]
        self.assertEqual(peer['verdict'], 'quarantine')
        self.assertIn('never seen before', peer['why'])
        # near misses: the benign day's names (test_benign_day), and a device
        # still learning: its queries are learned, not judged
        self.silent('dga', 'dga', baseline=False)

    # ---- new peers, services, protocols

    def test_c2(self):
        e, ev = self.fires('c2', 'new_peer', 'quarantine')
        self.assertEqual(e['evidence']['domain'], 'xj4kq9zt7w.top')
        self.assertEqual(e['evidence']['flow']['dest_port'], 6667)
        dets = {x['detector'] for x in anomalies(ev)}
        self.assertIn('dga', dets)
        self.silent('c2', 'new_peer', baseline=False)

    def test_shell(self):
        e, ev = self.fires('shell', 'new_protocol', 'quarantine')
        self.assertEqual(e['evidence']['protocol'], 'SSH')
        svc = [x for x in anomalies(ev) if x['detector'] == 'new_service'][0]
        self.assertEqual(svc['evidence']['port'], 22)
        self.assertIn('remote shell', svc['why'])
        # without a baseline the device is learning: nothing is new yet
        self.silent('shell', 'new_protocol', baseline=False)
        self.silent('shell', 'new_service', baseline=False)

    # ---- exposure

    def test_exposure(self):
        e, _ = self.fires('exposure', 'inbound_exposure', 'alert')
        self.assertEqual(e['evidence']['port'], 23)
        self.assertEqual(e['evidence']['remote'], '203.0.113.77')
        # near miss: the lateral scan's targets answer a local client
        self.silent('lateral', 'inbound_exposure')
        # a shell port answered to the Internet is news even while learning
        a = anomalies(self.attack('exposure', baseline=False))
        self.assertEqual([(x['mac'], x['detector'], x['learning']) for x in a],
                         [(self.attacks['exposure'][0], 'inbound_exposure', True)])

    def test_cleartext(self):
        e, _ = self.fires('cleartext', 'cleartext_credentials', 'alert')
        self.assertEqual(e['evidence']['protocol'], 'HTTP')
        # near miss: every device's plain HTTP without credentials, all day
        ev, _ = run(['-r', self.path('test.pcap'), '--baseline', self.base])
        self.assertNotIn('cleartext_credentials', {x['detector'] for x in anomalies(ev)})

    # ---- baselines across restarts, and bad baseline files

    def test_restart_continues(self):
        """Learning spans a restart: after day 1 the devices are still
        learning (for 300 s more); a restart with the state file ten minutes
        later finishes their learning, so an SSH session then is new. Without
        the state file, learning would start again at the restart and the
        session would be normal. (The restart comes within the hour: a device
        away for longer does not learn meanwhile, see test_baseline.c.)"""
        state = self.path('state')
        conf = '[anomaly]\nlearning_period = 86700\nstate_file = %s\n' % state
        ev, _ = run(['-r', self.path('train.pcap')], conf)
        self.assertEqual(final_stats(ev)['anomaly']['state_saves'], 23)  # hourly, then at exit
        with open(state) as f:
            self.assertIn('learn-end', f.read())
        shell = self.path('shell-after-restart.pcap')
        shift_to(self.path('attack-shell.pcap'), shell, read_pcap(self.path('train.pcap'))[1][-1][0] + 600)
        ev, _ = run(['-r', shell], conf)
        dets = {e['detector'] for e in anomalies(ev)}
        self.assertIn('new_protocol', dets)
        fresh = '[anomaly]\nlearning_period = 86700\n'
        ev, _ = run(['-r', shell], fresh)
        self.assertNotIn('new_protocol', {e['detector'] for e in anomalies(ev)})

    def test_bad_baseline(self):
        with open(self.base) as f:
            text = f.read()
        bad = self.path('bad')
        for body, want in ((text.replace('intervals', 'intervalz', 1), 'checksum mismatch'),
                           (text[:len(text) // 2], 'no checksum line'),
                           ('', 'no checksum line')):
            with open(bad, 'w') as f:
                f.write(body)
            _, p = run(['-r', os.path.join(PCAPS, 'benign.pcap'), '--baseline', bad],
                       check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(bad + ': ' + want, p.stderr.decode())
        _, p = run(['-r', os.path.join(PCAPS, 'benign.pcap'), '--baseline', self.base],
                   '[anomaly]\nbaseline_interval = 30\n', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('learned with a 10 s interval', p.stderr.decode())
        _, p = run(['-r', os.path.join(PCAPS, 'benign.pcap'), '--baseline',
                    self.path('missing')], check=False)
        self.assertIn('No such file', p.stderr.decode())


DATASETS = os.environ.get('MG_DATASETS', '')
SENTINEL = os.path.join(DATASETS, 'iot-sentinel')


def first_time(path):
    return read_pcap(path)[1][0][0]


@unittest.skipUnless(os.path.isdir(SENTINEL), 'no iot-sentinel captures')
class ClockBack(unittest.TestCase):
    """Real captures replayed in one run with clocks that go back between
    files. Each file alone gives no quarantine; together they must not
    either (the later files' packets once all fell into one instant of the
    sensor's clock, and 100 ordinary DNS queries made a dns_flood)."""

    def quarantines(self, files):
        ev, _ = run(['-r'] + files + ['--mode', 'enforce'], check=False)
        return [(e['mac'], e['detector']) for e in anomalies(ev) if e['verdict'] == 'quarantine']

    def test_one_type_newest_first(self):
        files = sorted(glob.glob(os.path.join(SENTINEL, 'D-LinkHomeHub', '*.pcap')),
                       key=first_time, reverse=True)
        self.assertEqual(len(files), 10)
        for f in files:
            self.assertEqual(self.quarantines([f]), [], f)
        ev, _ = run(['-r'] + files + ['--mode', 'enforce'], check=False)
        self.assertEqual([e for e in anomalies(ev) if e['verdict'] == 'quarantine'], [])
        self.assertEqual(final_stats(ev)['anomaly']['clock_steps_back'], 9)
        # the hub is judged as its files say: while learning, as each alone
        self.assertEqual([e['detector'] for e in anomalies(ev)], [])

    def test_every_capture_in_one_run(self):
        files = sorted(glob.glob(os.path.join(SENTINEL, '*', '*.pcap')))
        self.assertEqual(self.quarantines(files), [])


REAL_HOME = os.path.join(DATASETS, 'real-home')


def tcp_frame(b):
    """(src ip, dst ip, sport, dport, flags) of an Ethernet/IPv4/TCP frame, or None."""
    if len(b) < 54 or b[12:14] != b'\x08\x00' or b[23] != 6:
        return None
    ihl = (b[14] & 15) * 4
    t = 14 + ihl
    sport, dport = struct.unpack('>HH', b[t:t + 4])
    return b[26:30], b[30:34], sport, dport, b[t + 13]


def ip_checksum(h):
    s = sum(struct.unpack('>%dH' % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def spoofed_syn(template, src_ip, sport):
    """The real SYN @template, sent from @src_ip:@sport (IP checksum redone;
    the TCP checksum is left as it was: mudguard does not judge it)."""
    b = bytearray(template)
    b[26:30] = src_ip
    b[24:26] = b'\0\0'
    b[24:26] = struct.pack('>H', ip_checksum(bytes(b[14:34])))
    struct.pack_into('>H', b, 34, sport)
    return bytes(b)


@unittest.skipUnless(os.path.isdir(REAL_HOME), 'no real-home captures')
class RealFrames(unittest.TestCase):
    """The cases seen on real networks, built from real frames of
    ../shared/datasets/real-home: a phone's connection to DNS over TLS
    (port 853) that the router refuses with a RST is retried on the same
    source port 200 times a second, as a broken camera did; and the same
    phone receives a SYN flood from spoofed Internet sources. Each capture is
    the real one up to that connection, then the repeated or spoofed frames."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        lt, frames = read_pcapng(os.path.join(REAL_HOME, 'xiaomi-cam__no-firewall__wan.pcap'))
        syn = rst = None
        for i, (sec, usec, b) in enumerate(frames):
            t = tcp_frame(b)
            if t and t[3] == 853 and t[4] & 0x02 and syn is None:
                syn = i
            elif t and syn is not None and t[2] == 853 and t[4] & 0x04:
                rst = i
                break
        assert syn is not None and rst is not None, 'the refused DoT connection'
        cls.phone_mac = ':'.join('%02x' % x for x in frames[syn][2][6:12])
        cls.router_ip = '.'.join(str(x) for x in frames[syn][2][30:34])
        start = frames[syn][0] * 1000000 + frames[syn][1]
        storm = list(frames[:syn])
        for k in range(600):  # 200 a second for 3 s, the same 5-tuple each time
            t = start + k * 5000
            storm.append((t // 1000000, t % 1000000, frames[syn][2]))
            storm.append(((t + 150) // 1000000, (t + 150) % 1000000, frames[rst][2]))
        cls.storm = os.path.join(cls.tmp.name, 'storm.pcap')
        write_pcap(cls.storm, lt, storm)
        # the phone's SYN turned round: gateway -> phone, from 1,000 spoofed sources
        b = bytearray(frames[syn][2])
        b[0:6], b[6:12] = frames[syn][2][6:12], frames[syn][2][0:6]
        b[30:34] = frames[syn][2][26:30]
        flood = list(frames[:syn])
        for k in range(1000):
            t = start + k * 2000
            src = bytes([203, 0, 113 + (k >> 8) % 3, k & 255])
            flood.append((t // 1000000, t % 1000000, spoofed_syn(b, src, 1024 + 37 * k % 60000)))
        cls.flood = os.path.join(cls.tmp.name, 'flood.pcap')
        write_pcap(cls.flood, lt, flood)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_refused_retries_are_a_storm(self):
        ev, _ = run(['-r', self.storm, '--mode', 'enforce'])
        a = anomalies(ev)
        self.assertEqual([(e['mac'], e['detector'], e['verdict']) for e in a],
                         [(self.phone_mac, 'connect_storm', 'alert')])
        x = a[0]['evidence']
        self.assertEqual((x['peer'], x['port'], x['answer'], x['source_ports']),
                         (self.router_ip, 853, 'rst', 1))
        self.assertGreaterEqual(x['attempts'], 200)
        self.assertEqual(final_stats(ev)['anomaly']['quarantine_verdicts'], 0)
        self.assertEqual([e for e in ev if e['event_type'] == 'quarantine'], [])

    def test_flood_at_the_phone_names_it_the_target(self):
        ev, _ = run(['-r', self.flood, '--mode', 'enforce'])
        a = anomalies(ev)
        self.assertEqual([(e['mac'], e['detector'], e['verdict'], e.get('role')) for e in a],
                         [(self.phone_mac, 'syn_flood_target', 'alert', 'target')])
        self.assertGreater(a[0]['evidence']['sources'], 100)
        self.assertEqual(final_stats(ev)['anomaly']['quarantine_verdicts'], 0)


class Bundled(unittest.TestCase):
    """The bundled captures, without baselines: devices are learning, so only
    the detectors that need no baseline speak."""

    def test_benign_silent(self):
        for pcap in ('benign.pcap', 'c2.pcap'):
            ev, _ = run(['-r', os.path.join(PCAPS, pcap)])
            self.assertEqual(anomalies(ev), [], pcap)

    def test_demo(self):
        ev, _ = run(['-r', os.path.join(PCAPS, 'demo.pcap')])
        a = anomalies(ev)
        self.assertEqual({e['mac'] for e in a}, {'44:19:b6:10:00:95'})
        self.assertEqual(a[0]['verdict'], 'quarantine')
        self.assertTrue(a[0]['learning'])

    def test_storms_alert_floods_quarantine(self):
        """The bundled captures: a reconnect storm and a resend loop are
        alerts; the SYN and UDP floods (many source ports) quarantine; the
        targets of floods get an alert naming them, and nobody a quarantine."""
        cam, plug, bulb, tv = ('44:19:b6:10:00:95', '50:c7:bf:10:01:52', '00:17:88:10:02:f2',
                               'b0:a7:37:10:06:e6')
        for pcap, want in (('storm.pcap', [(cam, 'connect_storm', 'alert')]),
                           ('resend.pcap', [(plug, 'connect_storm', 'alert')]),
                           ('synvictim.pcap', [(cam, 'syn_flood_target', 'alert')]),
                           ('reflection.pcap', [(tv, 'reflection_target', 'alert')])):
            ev, _ = run(['-r', os.path.join(PCAPS, pcap), '--mode', 'enforce'])
            self.assertEqual([(e['mac'], e['detector'], e['verdict']) for e in anomalies(ev)],
                             want, pcap)
            self.assertEqual(final_stats(ev)['anomaly']['quarantine_verdicts'], 0, pcap)
        for pcap, mac, det in (('synflood.pcap', plug, 'syn_flood'),
                               ('udpflood.pcap', bulb, 'udp_flood')):
            ev, _ = run(['-r', os.path.join(PCAPS, pcap)])
            q = [e for e in anomalies(ev) if e['verdict'] == 'quarantine']
            self.assertEqual([(e['mac'], e['detector']) for e in q], [(mac, det)], pcap)
            self.assertGreater(q[0]['evidence']['source_ports'], 100)

    def test_clock_back_between_files(self):
        """The same capture twice in one run: the second one's clock goes back
        half an hour. It is judged as it was the first time (nothing), not as
        30 minutes of traffic in one instant."""
        benign = os.path.join(PCAPS, 'benign.pcap')
        ev, _ = run(['-r', benign, benign])
        self.assertEqual(anomalies(ev), [])
        st = final_stats(ev)
        self.assertEqual(st['anomaly']['clock_steps_back'], 1)
        # the sensor's clock goes on from where it was, at the packets' pace
        stats = [e for e in ev if e['event_type'] == 'stats']
        times = [secs(e['timestamp']) for e in stats]
        self.assertEqual(times, sorted(times))
        self.assertGreater(times[-1] - times[0], 3000)

    def test_disabled(self):
        ev, _ = run(['-r', os.path.join(PCAPS, 'mirai.pcap')], '[anomaly]\nenabled = no\n')
        self.assertEqual(anomalies(ev), [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
