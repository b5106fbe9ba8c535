"""The Redis journal (issue 7, first part), against Debian's redis-server
started on 127.0.0.1 with a free port and a temporary directory: the stream
holds exactly the JSON-lines output; a replay sent twice is written once; a
server killed in the middle of a replay and started again loses and
duplicates nothing; the spool's bound; AUTH, without the password ever
printed."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

MUDGUARD = os.environ['MUDGUARD']
CTL = os.environ['MUDGUARDCTL']
GEN = os.environ['MUDGUARD_GEN']
PCAPS = os.environ['MG_PCAPS']


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, d, password=None, tls=None, netns=None):
        self.dir, self.port, self.password = d, free_port(), password
        self.tls = tls  # (ca, cert, key, clients must authenticate)
        self.proc = None
        self.prefix = ['ip', 'netns', 'exec', netns] if netns else []

    def start(self):
        port = ['--port', str(self.port)]
        if self.tls:
            port = ['--port', '0', '--tls-port', str(self.port), '--tls-ca-cert-file', self.tls[0],
                    '--tls-cert-file', self.tls[1], '--tls-key-file', self.tls[2],
                    '--tls-auth-clients', 'yes' if self.tls[3] else 'no']
        args = ['redis-server'] + port + ['--bind', '127.0.0.1', '--dir',
                self.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
        if self.password:
            args += ['--requirepass', self.password]
        self.proc = subprocess.Popen(self.prefix + args, stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli('PING', check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError('redis-server did not start')

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def cli(self, *args, check=True):
        env = dict(os.environ, REDISCLI_AUTH=self.password) if self.password else None
        tls = ['--tls', '--cacert', self.tls[0], '--cert', self.tls[4], '--key', self.tls[5]] \
            if self.tls else []
        return subprocess.run(self.prefix + ['redis-cli', '-p', str(self.port), '--raw'] + tls +
                              list(args),
                              capture_output=True, text=True, check=check, env=env)

    def events(self):
        out = self.cli('XRANGE', 'mudguard:events', '-', '+').stdout.splitlines()
        return [out[i + 4] for i in range(0, len(out), 5)]

    def url(self, auth=''):
        return 'redis://%s127.0.0.1:%d' % (auth, self.port)


class JournalBase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-redis-')
        self.srv = Server(self.dir)
        self.srv.start()
        self.conf = os.path.join(self.dir, 'mudguard.conf')
        with open(self.conf, 'w') as f:
            f.write('[redis]\nspool = %s/spool\nsensor = test\ndevice_ttl = 3600\n' % self.dir)

    def tearDown(self):
        self.srv.stop()
        shutil.rmtree(self.dir)

    def replay(self, pcap, *extra, url=None):
        out = os.path.join(self.dir, 'out.json')
        if os.path.exists(out):  # events files are appended to
            os.remove(out)
        p = subprocess.run([MUDGUARD, '-c', self.conf, '-r', pcap, '--redis',
                            url or self.srv.url(), '-o', out] + list(extra),
                           capture_output=True, text=True, timeout=300)
        if not os.path.exists(out):  # refused before any event
            return [], p
        with open(out) as f:
            return f.read().splitlines(), p


@unittest.skipUnless(shutil.which('redis-server') and shutil.which('redis-cli'),
                     'needs redis-server and redis-cli')
class Journal(JournalBase):
    def test_stream_is_the_output(self):
        # a device last written long ago: aged out by the next write
        self.srv.cli('ZADD', 'mudguard:devices', '1', '02:00:00:00:00:99')
        lines, p = self.replay(os.path.join(PCAPS, 'benign.pcap'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.srv.events(), lines)
        ids = [json.loads(x)['event_id'] for x in lines]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(ids[0].startswith('test:2025-01-01T12:00:00'))
        # device state rides along: a hash per device with its latest events
        macs = set(self.srv.cli('ZRANGE', 'mudguard:devices', '0', '-1').stdout.split())
        self.assertEqual(macs, {json.loads(x)['mac'] for x in lines
                                if json.loads(x)['event_type'] == 'device'})
        # kept for [redis] device_ttl after the last write (3600 s here)
        ttl = int(self.srv.cli('TTL', 'mudguard:device:44:19:b6:10:00:95').stdout)
        self.assertTrue(3500 < ttl <= 3600, ttl)
        score = float(self.srv.cli('ZSCORE', 'mudguard:devices', '44:19:b6:10:00:95').stdout)
        self.assertLess(abs(score - time.time()), 120)
        h = self.srv.cli('HGET', 'mudguard:device:44:19:b6:10:00:95', 'identity').stdout.strip()
        last_identity = [x for x in lines if json.loads(x)['event_type'] == 'identity' and
                         json.loads(x)['mac'] == '44:19:b6:10:00:95'][-1]
        self.assertEqual(h, last_identity)
        # the same replay again: same ids, written once
        again, p = self.replay(os.path.join(PCAPS, 'benign.pcap'))
        self.assertEqual(again, lines)
        self.assertEqual(self.srv.events(), lines)

    def test_outage_loses_and_duplicates_nothing(self):
        subprocess.run([GEN, 'soak', self.dir, '2'], check=True, capture_output=True)
        out = os.path.join(self.dir, 'out.json')
        p = subprocess.Popen([MUDGUARD, '-c', self.conf, '-r', os.path.join(self.dir, 'test.pcap'),
                              '--flows', '--redis', self.srv.url(), '-o', out],
                             stderr=subprocess.PIPE, text=True)
        time.sleep(0.4)
        self.assertIsNone(p.poll(), 'the replay ended before the outage')
        self.srv.kill()
        time.sleep(1.0)
        self.srv.start()
        _, err = p.communicate(timeout=300)
        self.assertEqual(p.returncode, 0, err)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 10000)
        self.assertEqual(self.srv.events(), lines)  # every event, once, in order
        logs = err.splitlines()
        self.assertEqual(sum('Redis unreachable' in x for x in logs), 1, err)
        self.assertEqual(sum('Redis back' in x for x in logs), 1, err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'spool')))

    def test_spool_bound(self):
        self.srv.stop()
        with open(self.conf, 'a') as f:
            f.write('spool_max = 1000\n')
        lines, p = self.replay(os.path.join(PCAPS, 'synflood.pcap'), '--flows')
        self.assertEqual(p.returncode, 0)
        self.assertIn('full (1000 events): dropping the oldest', p.stderr)
        self.assertRegex(p.stderr, r'\d+ dropped from the spool')
        with open(os.path.join(self.dir, 'spool')) as f:
            kept = f.read().splitlines()
        self.assertLessEqual(len(kept), 1000)
        # the newest are kept: the last event is the last line of the output
        self.assertEqual(kept[-1].split('\t', 6)[6], lines[-1])
        # and sent at the next start
        self.srv.start()
        self.replay(os.path.join(PCAPS, 'benign.pcap'))
        self.assertEqual(self.srv.events()[:len(kept)], [k.split('\t', 6)[6] for k in kept])

    def test_quarantine_registry(self):
        lines, p = self.replay(os.path.join(PCAPS, 'mirai.pcap'))
        q = [x for x in lines if json.loads(x)['event_type'] == 'quarantine']
        self.assertEqual(len(q), 1)
        self.assertEqual(self.srv.cli('HGET', 'mudguard:quarantines', '44:19:b6:10:00:95')
                         .stdout.strip(), q[0])
        self.assertEqual(self.srv.cli('XLEN', 'mudguard:quarantine:history').stdout.strip(), '1')

    def ctl(self, *args):
        p = subprocess.run([CTL, '--redis', self.srv.url()] + list(args), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_mudguardctl(self):
        lines, _ = self.replay(os.path.join(PCAPS, 'demo.pcap'))
        cam = '44:19:b6:10:00:95'
        table = self.ctl('devices').splitlines()
        self.assertEqual(table[0].split()[:6], ['MAC', 'ADDRESSES', 'VENDOR', 'TYPE', 'STATE',
                                                'LAST'])
        row = [x for x in table if x.startswith(cam)][0].split()
        self.assertEqual(row[1:5], ['192.168.1.10', 'Hikvision', 'camera', 'verdict'])
        self.assertEqual(len(table) - 1, len({json.loads(x)['mac'] for x in lines
                                               if json.loads(x)['event_type'] == 'device'}))
        # a device whose state aged out while still in the set is not listed
        self.srv.cli('ZADD', 'mudguard:devices', '1', '02:00:00:00:00:98')
        self.assertNotIn('02:00:00:00:00:98', self.ctl('devices'))
        self.assertNotIn('02:00:00:00:00:98', self.ctl('--json', 'devices'))
        devices = [json.loads(x) for x in self.ctl('--json', 'devices').splitlines()]
        self.assertEqual([d['state'] for d in devices if d['mac'] == cam], ['verdict'])
        # events: filters, and --json gives the stored lines back
        anomalies = [x for x in lines if json.loads(x)['event_type'] == 'anomaly']
        self.assertEqual(self.ctl('--json', 'events', '--type', 'anomaly').splitlines(), anomalies)
        self.assertEqual(self.ctl('--json', 'events', '--mac', cam, '--since',
                                  '2025-01-01T12:05:00').splitlines(),
                         [x for x in lines if json.loads(x).get('mac') == cam and
                          json.loads(x)['timestamp'] >= '2025-01-01T12:05:00'])
        self.assertIn('quarantine monitor: mirai_syn', self.ctl('device', cam))
        self.assertIn('evidence dhcp.vendor_class = hikvision-ipc', self.ctl('device', cam))
        q = self.ctl('quarantine', 'list').splitlines()
        self.assertEqual([x.split()[:2] for x in q[1:]], [[cam, 'monitor']])
        # what a device said never reaches the analyst's terminal as control bytes
        planted = {'timestamp': '2025-01-01T13:00:00.000000Z', 'event_type': 'identity',
                   'mac': cam, 'vendor': 'Evil\x1b]2;owned\x07\u009b2J', 'class': 'camera',
                   'evidence': [{'signal': 'dhcp.hostname', 'value': 'cam\r\nfake line',
                                 'weight': 1}]}
        line = json.dumps(planted)
        self.srv.cli('XADD', 'mudguard:events', '*', 'id', 'x', 'event', line)
        self.srv.cli('HSET', 'mudguard:device:' + cam, 'identity', line)
        for args in (('devices',), ('device', cam), ('events', '--type', 'identity')):
            out = subprocess.run([CTL, '--redis', self.srv.url()] + list(args),
                                 capture_output=True, check=True).stdout.decode()  # no \r -> \n
            self.assertFalse([c for c in out if ord(c) < 0x20 and c != '\n' or
                              0x7f <= ord(c) < 0xa0], (args, out))
        self.assertIn('Evil\\x1b]2;owned\\x07\\u009b2J', self.ctl('device', cam))
        self.assertIn('cam\\x0d\\x0afake line', self.ctl('device', cam))
        self.assertIn(line, self.ctl('--json', 'events', '--type', 'identity').splitlines())

    def test_auth(self):
        self.srv.stop()
        self.srv = Server(self.dir, password='s3cret-pw')
        self.srv.start()
        lines, p = self.replay(os.path.join(PCAPS, 'benign.pcap'), url=self.srv.url(':s3cret-pw@'))
        self.assertEqual(self.srv.events(), lines)
        _, p = self.replay(os.path.join(PCAPS, 'benign.pcap'), url=self.srv.url(':wrong-pw@'))
        self.assertIn('AUTH refused', p.stderr)
        self.assertNotIn('wrong-pw', p.stderr)
        self.assertNotIn('s3cret', p.stderr)

    def test_bad_url(self):
        _, p = self.replay(os.path.join(PCAPS, 'benign.pcap'), url='http://x')
        self.assertEqual(p.returncode, 2)
        self.assertIn('redis URL must start with redis://', p.stderr)
        for url, why in (('redis://h:99999', 'bad port'), ('redis://h/x', 'bad database'),
                         ('redis://', 'no host'), ('redis://h/?ca=/x', 'ca, cert and key are for rediss'),
                         ('rediss://h/?cipher=x', 'unknown or bad option')):
            with open(self.conf, 'a') as f:
                f.write('url = %s\n' % url)
            p = subprocess.run([MUDGUARD, '--check-config', '-c', self.conf],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn('redis.url: redis URL: ' + why, p.stderr)


@unittest.skipUnless(shutil.which('redis-server') and shutil.which('redis-cli'),
                     'needs redis-server and redis-cli')
class RunIdentity(JournalBase):
    """Two runs share an id only when they are the same input with the same
    configuration (issue 16): different replays whose first packets have one
    timestamp, and live sensors of one name started in the same second, are
    each written in full; a replay sent again is written once; a mark that
    does not match what the writer would write is said once and nothing is
    written over it."""

    def types(self):
        return [json.loads(x)['event_type'] for x in self.srv.events()]

    def test_same_first_timestamp_other_input(self):
        demo, _ = self.replay(os.path.join(PCAPS, 'demo.pcap'))
        mirai, p = self.replay(os.path.join(PCAPS, 'mirai.pcap'))
        self.assertEqual(json.loads(demo[0])['timestamp'], json.loads(mirai[0])['timestamp'])
        self.assertNotIn('not written over', p.stderr)
        self.assertEqual(self.srv.events(), demo + mirai)
        lateral, _ = self.replay(os.path.join(PCAPS, 'lateral.pcap'))
        kinds = [json.loads(x).get('detector') for x in self.srv.events()[len(demo + mirai):]
                 if json.loads(x)['event_type'] == 'anomaly']
        self.assertIn('lateral', kinds)
        self.assertIn('port_scan', kinds)
        self.assertEqual(self.srv.events(), demo + mirai + lateral)
        # sent again: all three written once
        for pcap in ('demo', 'mirai', 'lateral'):
            self.replay(os.path.join(PCAPS, pcap + '.pcap'))
        self.assertEqual(self.srv.events(), demo + mirai + lateral)

    def test_verdict_of_a_second_run_reaches_the_enforcer(self):
        self.replay(os.path.join(PCAPS, 'demo.pcap'), '--enforce', 'off')
        before = int(self.srv.cli('XLEN', 'mudguard:verdicts').stdout)
        lines, _ = self.replay(os.path.join(PCAPS, 'mirai.pcap'), '--enforce', 'off')
        verdicts = [x for x in lines if json.loads(x)['event_type'] == 'verdict']
        self.assertTrue(verdicts)
        out = self.srv.cli('XRANGE', 'mudguard:verdicts', '-', '+').stdout.splitlines()
        self.assertEqual(int(self.srv.cli('XLEN', 'mudguard:verdicts').stdout),
                         before + len(verdicts))
        self.assertIn(verdicts[-1], out)

    def test_other_configuration_is_another_run(self):
        a, _ = self.replay(os.path.join(PCAPS, 'demo.pcap'))
        b, _ = self.replay(os.path.join(PCAPS, 'demo.pcap'), '--flows')
        self.assertNotEqual(json.loads(a[0])['event_id'], json.loads(b[0])['event_id'])
        self.assertEqual(self.srv.events(), a + b)

    def test_mark_that_does_not_match(self):
        demo, _ = self.replay(os.path.join(PCAPS, 'demo.pcap'))
        eid = json.loads(demo[0])['event_id']
        run = 'mudguard:run:' + eid.rsplit(':', 1)[0]
        mark = self.srv.cli('GET', run).stdout.split()
        self.assertEqual(mark[0], str(len(demo)))
        # another writer's run under this name: its chains differ
        self.srv.cli('SET', run, '%s 1234 5678' % mark[0])
        again, p = self.replay(os.path.join(PCAPS, 'demo.pcap'))
        self.assertEqual(again, demo)
        self.assertEqual(p.stderr.count('already holds a different run named ' + run), 1,
                         p.stderr)
        self.assertIn('%d not written over another run' % len(demo), p.stderr)
        self.assertEqual(self.srv.events(), demo)  # nothing written over it
        self.assertEqual(self.srv.cli('GET', run).stdout.split(), [mark[0], '1234', '5678'])


@unittest.skipUnless(shutil.which('redis-server') and os.geteuid() == 0 and shutil.which('ip'),
                     'needs redis-server, root and iproute2 (network namespaces)')
class LiveRunIdentity(unittest.TestCase):
    """Two live sensors with one name started in the same second are two
    runs, even when their first events are about the same packet (one
    timestamp). In two namespaces of the test's own joined by a veth pair,
    with Redis inside the sensors' namespace; nothing has a route out."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-redis-live-')
        self.addCleanup(shutil.rmtree, self.dir)
        self.a, self.b = 'mg-runid-a-%d' % os.getpid(), 'mg-runid-b-%d' % os.getpid()
        for ns in (self.a, self.b):
            self.addCleanup(subprocess.run, ['ip', 'netns', 'del', ns], capture_output=True)
        for cmd in (['ip', 'netns', 'add', self.a], ['ip', 'netns', 'add', self.b],
                    ['ip', 'link', 'add', 'mgra0', 'netns', self.a, 'type', 'veth', 'peer',
                     'name', 'mgrb0', 'netns', self.b],
                    ['ip', '-n', self.a, 'addr', 'add', '10.198.0.1/24', 'dev', 'mgra0'],
                    ['ip', '-n', self.b, 'addr', 'add', '10.198.0.2/24', 'dev', 'mgrb0'],
                    ['ip', '-n', self.a, 'link', 'set', 'mgra0', 'up'],
                    ['ip', '-n', self.b, 'link', 'set', 'mgrb0', 'up'],
                    ['ip', '-n', self.b, 'link', 'set', 'lo', 'up']):
            subprocess.run(cmd, check=True)
        self.srv = Server(self.dir, netns=self.b)
        self.addCleanup(self.srv.stop)
        self.srv.start()

    def test_two_sensors_one_name_same_second(self):
        procs, outs, errs = [], [], []
        for i in range(2):
            out = os.path.join(self.dir, 'out%d.json' % i)
            conf = os.path.join(self.dir, 'c%d.conf' % i)
            with open(conf, 'w') as f:
                f.write('[redis]\nspool = %s/spool%d\nsensor = twin\n' % (self.dir, i))
            outs.append(out)
            errs.append(os.path.join(self.dir, 'err%d' % i))
            with open(errs[-1], 'w') as e:
                procs.append(subprocess.Popen(
                    ['ip', 'netns', 'exec', self.b, MUDGUARD, '-i', 'mgrb0', '-c', conf,
                     '--redis', self.srv.url(), '-o', out], stderr=e))
        for err in errs:
            for _ in range(100):
                with open(err) as f:
                    if 'capturing on' in f.read():
                        break
                time.sleep(0.05)
        # the same packets reach both: their first events usually have one
        # timestamp (the packet's), which alone named a run before
        subprocess.run(['ip', 'netns', 'exec', self.a, 'ping', '-c', '2', '-i', '0.2', '-q',
                        '10.198.0.2'], capture_output=True)
        time.sleep(1.5)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
        lines = []
        for out in outs:
            with open(out) as f:
                lines.append(f.read().splitlines())
        runs = [{json.loads(x)['event_id'].rsplit(':', 1)[0] for x in ls} for ls in lines]
        self.assertEqual([len(r) for r in runs], [1, 1], runs)
        self.assertNotEqual(runs[0], runs[1])
        for r in runs:
            self.assertTrue(next(iter(r)).startswith('twin:'))
        self.assertEqual(sorted(self.srv.events()), sorted(lines[0] + lines[1]))


def make_certs(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    def run(*a):
        subprocess.run(['openssl'] + list(a), check=True, capture_output=True, cwd=d)
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
        '-days', '2', '-subj', '/CN=mudguard test CA')
    with open(os.path.join(d, 'ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    for who in ('server', 'client'):
        run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', who + '.key', '-out', who + '.csr',
            '-subj', '/CN=' + who)
        run('x509', '-req', '-in', who + '.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', who + '.pem', '-days', '2', '-extfile', 'ext')
    return [os.path.join(d, x) for x in ('ca.pem', 'server.pem', 'server.key')]


def redis_has_tls():
    if not shutil.which('redis-server') or not shutil.which('openssl'):
        return False
    p = subprocess.run(['redis-server', '--port', '0', '--tls-port', '0', '--test-memory', '0'],
                       capture_output=True, text=True)
    return 'tls-port' not in p.stdout + p.stderr


@unittest.skipUnless(redis_has_tls(), 'needs a redis-server built with TLS, and openssl')
class Tls(Journal):
    """The journal and mudguardctl over TLS (rediss://): the server's
    certificate is verified against the CA given, or the system's store."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-redis-tls-')
        ca, cert, key = make_certs(self.dir)
        self.client = [os.path.join(self.dir, 'client.pem'), os.path.join(self.dir, 'client.key')]
        self.srv = Server(self.dir, tls=[ca, cert, key, True] + self.client)
        self.srv.start()
        self.url = 'rediss://127.0.0.1:%d/?ca=%s&cert=%s&key=%s' % (self.srv.port, ca,
                                                                    *self.client)
        self.conf = os.path.join(self.dir, 'mudguard.conf')
        with open(self.conf, 'w') as f:
            f.write('[redis]\nspool = %s/spool\nsensor = test\ndevice_ttl = 3600\n' % self.dir)

    def test_stream_is_the_output(self):
        lines, p = self.replay(os.path.join(PCAPS, 'benign.pcap'), url=self.url)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('unreachable', p.stderr)
        self.assertEqual(self.srv.events(), lines)
        dev = subprocess.run([CTL, '--redis', self.url, 'devices'], capture_output=True, text=True)
        self.assertEqual(dev.returncode, 0, dev.stderr)
        self.assertIn('44:19:b6:10:00:95', dev.stdout)

    def test_untrusted_server_gets_nothing(self):
        for url, why in ((self.url.split('?')[0], 'certificate'),  # the system's CAs
                         (self.url.split('&')[0], 'handshake')):  # no client certificate
            lines, p = self.replay(os.path.join(PCAPS, 'benign.pcap'), url=url)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(sum('Redis unreachable' in x for x in p.stderr.splitlines()), 1,
                             p.stderr)
            self.assertIn(why, p.stderr)
            self.assertIn('%d spooled' % len(lines), p.stderr)
            self.assertEqual(self.srv.cli('XLEN', 'mudguard:events').stdout.strip(), '0')
        os.remove(os.path.join(self.dir, 'spool'))

    # the plain-Redis scenarios that say nothing about the transport
    test_outage_loses_and_duplicates_nothing = test_spool_bound = None
    test_quarantine_registry = test_mudguardctl = test_auth = test_bad_url = None


if __name__ == '__main__':
    unittest.main(verbosity=2)
