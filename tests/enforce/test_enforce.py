"""Quarantine with nftables (issue 6), on real traffic between network
namespaces this test creates and removes: a router with a LAN bridge (device
namespaces A and B) and a WAN link (a server namespace). No traffic leaves
them. Needs root (CAP_NET_ADMIN); skipped otherwise."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

MUDGUARD = os.environ['MUDGUARD']
ENFORCE = os.environ['MUDGUARD_ENFORCE']
BENCH_NFT = os.environ['MUDGUARD_BENCH_NFT']
PCAPS = os.environ['MG_PCAPS']
HERE = os.path.dirname(os.path.abspath(__file__))
TAG = str(os.getpid())
R, A, B, S = ('mg%s-%s' % (x, TAG) for x in 'rabs')
MAC_A, MAC_B, MAC_R = '02:00:00:77:00:0a', '02:00:00:77:00:0b', '02:00:00:77:00:01'
IP_A, IP_B, IP_R, IP_S = '192.168.77.10', '192.168.77.11', '192.168.77.1', '10.77.0.2'

ECHO = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(100)
        if not d: break
        c.sendall(d)
'''
CLIENT = r'''
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
for line in sys.stdin:
    try:
        c.sendall(line.encode()); c.settimeout(1.5)
        print('OK' if c.recv(100) == line.encode() else 'BAD', flush=True)
    except OSError:
        print('TIMEOUT', flush=True)
'''
UDP_ECHO = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)
'''
UDP_ASK = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(b'hello', (sys.argv[1], int(sys.argv[2])))
try:
    s.recvfrom(100); print('OK')
except OSError:
    print('TIMEOUT')
'''


def sh(*args, ns=None, check=True, **kw):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if check and p.returncode:
        raise AssertionError('%s: %s%s' % (' '.join(cmd), p.stdout, p.stderr))
    return p


def usable():
    if os.geteuid() != 0 or not shutil.which('ip') or not shutil.which('nft'):
        return False
    probe = 'mgprobe-' + TAG
    ok = sh('ip', 'netns', 'add', probe, check=False).returncode == 0 and \
        sh('nft', 'add', 'table', 'bridge', 't', ns=probe, check=False).returncode == 0
    sh('ip', 'netns', 'del', probe, check=False)
    return ok


@unittest.skipUnless(usable(), 'needs root, iproute2, nftables and network namespaces')
class Namespaces(unittest.TestCase):
    family = 'bridge'

    @classmethod
    def setUpClass(cls):
        for ns in (R, A, B, S):
            sh('ip', 'netns', 'add', ns)
        for ns, peer, mac in ((A, 'va0', MAC_A), (B, 'vb0', MAC_B)):
            sh('ip', 'link', 'add', peer, 'netns', R, 'type', 'veth', 'peer', 'name', 'eth0',
               'netns', ns)
            sh('ip', 'link', 'set', 'eth0', 'address', mac, 'up', ns=ns)
            sh('ip', 'link', 'set', 'lo', 'up', ns=ns)
        sh('ip', 'link', 'add', 'wan0', 'netns', R, 'type', 'veth', 'peer', 'name', 'eth0',
           'netns', S)
        sh('ip', 'link', 'add', 'br0', 'type', 'bridge', ns=R)
        sh('ip', 'link', 'set', 'br0', 'address', MAC_R, ns=R)
        for dev in ('va0', 'vb0'):
            sh('ip', 'link', 'set', dev, 'master', 'br0', 'up', ns=R)
        for dev in ('br0', 'wan0', 'lo'):
            sh('ip', 'link', 'set', dev, 'up', ns=R)
        sh('ip', 'addr', 'add', IP_R + '/24', 'dev', 'br0', ns=R)
        sh('ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'wan0', ns=R)
        sh('sysctl', '-qw', 'net.ipv4.ip_forward=1', ns=R)
        sh('ip', 'link', 'set', 'eth0', 'up', ns=S)
        sh('ip', 'link', 'set', 'lo', 'up', ns=S)
        sh('ip', 'addr', 'add', IP_S + '/24', 'dev', 'eth0', ns=S)
        sh('ip', 'route', 'add', 'default', 'via', '10.77.0.1', ns=S)
        for ns, ip in ((A, IP_A), (B, IP_B)):
            sh('ip', 'addr', 'add', ip + '/24', 'dev', 'eth0', ns=ns)
            sh('ip', 'route', 'add', 'default', 'via', IP_R, ns=ns)
        cls.procs = [
            subprocess.Popen(['ip', 'netns', 'exec', S, sys.executable, '-c', ECHO, IP_S, '7000'],
                             stdout=subprocess.PIPE, text=True),
            subprocess.Popen(['ip', 'netns', 'exec', R, sys.executable, '-c', UDP_ECHO, IP_R,
                              '53']),
            subprocess.Popen(['ip', 'netns', 'exec', R, sys.executable, '-c', UDP_ECHO, IP_R,
                              '67']),
            subprocess.Popen(['ip', 'netns', 'exec', R, sys.executable, '-c', UDP_ECHO, IP_R,
                              '5000']),
        ]
        cls.procs[0].stdout.readline()  # the echo server is listening
        # warm up: neighbours resolved, bridge ports learned
        for ns, ip in ((A, IP_S), (B, IP_S), (A, IP_B), (B, IP_A)):
            for _ in range(5):
                if sh('ping', '-c1', '-W1', ip, ns=ns, check=False).returncode == 0:
                    break

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.kill()
            p.wait()
        for ns in (R, A, B, S):
            sh('ip', 'netns', 'del', ns, check=False)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-enforce-')
        os.chmod(self.dir, 0o755)  # readable by the unprivileged run
        self.state = os.path.join(self.dir, 'state')
        self.conf = self.config()
        self.run_enforce('teardown', check=False)
        self.run_enforce('setup')

    def tearDown(self):
        self.run_enforce('teardown', check=False)
        shutil.rmtree(self.dir)

    def config(self, extra=''):
        path = os.path.join(self.dir, 'mudguard.conf')
        with open(path, 'w') as f:
            f.write('[enforce]\nbackend = nft\nfamily = %s\nnever = %s, %s\ndns = %s\n'
                    'state_file = %s\n%s' % (self.family, MAC_R, IP_R, IP_R, self.state, extra))
        return path

    def run_enforce(self, *args, check=True, conf=None):
        p = sh(ENFORCE, '-c', conf or self.conf, *args, ns=R, check=False)
        if check and p.returncode:
            raise AssertionError('mudguard-enforce %s: %s%s' % (args, p.stdout, p.stderr))
        return [json.loads(x) for x in p.stdout.splitlines() if x.startswith('{')], p

    def reach(self, ns, ip):
        return sh('ping', '-c1', '-W1', ip, ns=ns, check=False).returncode == 0

    def udp(self, ns, ip, port):
        return sh(sys.executable, '-c', UDP_ASK, ip, str(port), ns=ns).stdout.strip() == 'OK'

    def quarantine_a(self, *extra):
        ev, _ = self.run_enforce('quarantine', MAC_A, '--addr', IP_A, '--reason', 'test',
                                 '--by', 'tester', *extra)
        self.assertEqual(ev[-1]['event_type'], 'quarantine')
        self.assertEqual(ev[-1]['applied'], 'applied')
        return ev[-1]

    def elements(self, setname):
        out = sh('nft', '-j', 'list', 'set', self.family, 'mudguard', setname, ns=R).stdout
        elems = json.loads(out)['nftables'][1]['set'].get('elem', [])
        return [e['elem']['val'] if isinstance(e, dict) and 'elem' in e else e for e in elems]

    # ---- the tests

    def test_quarantine_and_release(self):
        self.assertTrue(self.reach(A, IP_S))
        self.assertTrue(self.reach(A, IP_B))
        e = self.quarantine_a()
        self.assertEqual(e['addresses'], [IP_A])
        self.assertEqual(e['ttl'], 3600)
        self.assertEqual(e['by'], 'tester')
        self.assertFalse(self.reach(A, IP_S))        # the Internet
        self.assertFalse(self.reach(A, IP_B))        # another local device
        self.assertFalse(self.reach(B, IP_A))        # and back
        self.assertFalse(self.udp(A, IP_R, 5000))    # any other service of the router
        self.assertTrue(self.udp(A, IP_R, 53))       # DNS to the local server
        self.assertTrue(self.udp(A, IP_R, 67))       # DHCP
        self.assertTrue(self.reach(B, IP_S))         # the others are untouched
        self.assertTrue(self.reach(B, IP_R))
        self.assertEqual(self.elements('quarantine_mac'), [MAC_A])
        self.assertEqual(self.elements('quarantine_v4'), [IP_A])
        ev, _ = self.run_enforce('release', MAC_A, '--reason', 'false positive')
        self.assertEqual(ev[-1]['event_type'], 'release')
        self.assertEqual(ev[-1]['applied'], 'applied')
        self.assertTrue(self.reach(A, IP_S))
        self.assertTrue(self.reach(A, IP_B))
        self.assertEqual(self.elements('quarantine_mac'), [])

    def test_ttl_expiry_and_repeat_offender(self):
        self.conf = self.config('ttl = 2\nttl_max = 3\n')
        e = self.quarantine_a()
        self.assertEqual(e['ttl'], 2)
        self.assertFalse(self.reach(A, IP_S))
        time.sleep(2.5)
        self.assertTrue(self.reach(A, IP_S))
        self.assertEqual(self.elements('quarantine_mac'), [])
        ev, _ = self.run_enforce('list')
        self.assertEqual(ev[0]['event_type'], 'release')
        self.assertEqual(ev[0]['by'], 'ttl')
        e = self.quarantine_a()
        self.assertEqual((e['ttl'], e['offenses']), (3, 2))  # doubled, capped

    def test_never_quarantine(self):
        for args in ((MAC_R,), ('02:00:00:77:00:99', '--addr', IP_R)):
            ev, p = self.run_enforce('quarantine', *args, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(ev[-1]['applied'], 'suppressed')
            self.assertIn('never-quarantine list', ev[-1]['suppressed_by'])
        self.assertEqual(self.elements('quarantine_mac'), [])
        # the list is in the ruleset too, ahead of the quarantine rules
        self.assertEqual(self.elements('never_mac'), [MAC_R])

    def test_restart_reconciles(self):
        self.quarantine_a()
        ev, _ = self.run_enforce('reconcile')  # a new process: state file and kernel agree
        self.assertEqual(ev, [])
        self.assertEqual(self.elements('quarantine_mac'), [MAC_A])  # not duplicated
        self.assertFalse(self.reach(A, IP_S))
        sh('nft', 'flush', 'set', self.family, 'mudguard', 'quarantine_mac', ns=R)
        sh('nft', 'add', 'element', self.family, 'mudguard', 'quarantine_mac',
           '{ %s timeout 1h comment "mudguard: by hand" }' % MAC_B, ns=R)
        ev, _ = self.run_enforce('reconcile')
        got = {(e['action'], e['mac']) for e in ev}
        self.assertEqual(got, {('restored', MAC_A), ('adopted', MAC_B)})
        self.assertEqual(sorted(self.elements('quarantine_mac')), [MAC_A, MAC_B])
        self.assertFalse(self.reach(A, IP_S))
        ev, _ = self.run_enforce('release', MAC_B)  # adopted: releasable like any other
        self.assertEqual(ev[-1]['applied'], 'applied')

    def test_open_connection_is_cut(self):
        c = subprocess.Popen(['ip', 'netns', 'exec', A, sys.executable, '-c', CLIENT, IP_S,
                              '7000'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            c.stdin.write('one\n')
            c.stdin.flush()
            self.assertEqual(c.stdout.readline().strip(), 'OK')
            self.quarantine_a()
            c.stdin.write('two\n')
            c.stdin.flush()
            self.assertEqual(c.stdout.readline().strip(), 'TIMEOUT')
        finally:
            c.kill()
            c.wait()

    def test_circuit_breaker(self):
        self.conf = self.config('per_minute = 2\n')
        for i in range(2):
            ev, _ = self.run_enforce('quarantine', '02:00:00:00:01:%02x' % i)
            self.assertEqual(ev[-1]['applied'], 'applied')
        ev, p = self.run_enforce('quarantine', '02:00:00:00:01:02', check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual([e['event_type'] for e in ev], ['quarantine', 'circuit_open'])
        self.assertEqual(ev[0]['applied'], 'suppressed')
        self.assertIn('2 quarantines in the last minute', ev[1]['reason'])
        self.assertEqual(len(self.elements('quarantine_mac')), 2)

    def test_table_deleted_is_restored(self):
        self.quarantine_a()
        sh('nft', 'delete', 'table', self.family, 'mudguard', ns=R)
        self.assertTrue(self.reach(A, IP_S))
        ev, _ = self.run_enforce('check')
        self.assertEqual([e['action'] for e in ev], ['table_restored'])
        self.assertFalse(self.reach(A, IP_S))

    def test_foreign_table_refused(self):
        self.run_enforce('teardown')
        _, p = self.run_enforce('teardown', check=False)  # nothing left: said so
        self.assertEqual(p.returncode, 1)
        self.assertIn('no table %s mudguard to delete' % self.family, p.stderr)
        sh('nft', 'add', 'table', self.family, 'mudguard', ns=R)
        _, p = self.run_enforce('setup', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('is not mudguard', p.stderr)
        sh('nft', 'delete', 'table', self.family, 'mudguard', ns=R)

    def test_without_cap_net_admin(self):
        p = sh('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ENFORCE, '-c',
               self.conf, 'setup', ns=R, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('needs CAP_NET_ADMIN', p.stderr)
        p = sh('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', MUDGUARD, '-c',
               self.conf, '--mode', 'enforce', '-r', os.path.join(PCAPS, 'demo.pcap'), ns=R,
               check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('needs CAP_NET_ADMIN', p.stderr)

    def test_ruleset_shape(self):
        self.quarantine_a()
        out = sh('nft', 'list', 'table', self.family, 'mudguard', ns=R).stdout
        out = re.sub(r'counter packets \d+ bytes \d+', 'counter', out)
        out = re.sub(r'timeout \S+ expires \S+', 'timeout 1h', out)
        with open(os.path.join(HERE, 'expected-%s.nft' % self.family)) as f:
            self.assertEqual(out, f.read())

    def test_error_names_its_request(self):
        """Quarantine elements share messages; a failing one is still named."""
        self.run_enforce('teardown')
        p = sh(BENCH_NFT, '--check-errors', ns=R, check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('request 2 (delete from quarantine_mac', p.stdout)

    def test_replayed_attack(self):
        """The sensor replaying an attack capture in enforce mode quarantines
        the attacking device, and only that one."""
        p = sh(MUDGUARD, '-c', self.conf, '--mode', 'enforce', '--enforce', 'nft', '-r',
               os.path.join(PCAPS, 'mirai.pcap'), ns=R)
        ev = [json.loads(x) for x in p.stdout.splitlines()]
        q = [e for e in ev if e['event_type'] == 'quarantine']
        self.assertEqual([(e['mac'], e['applied']) for e in q], [('44:19:b6:10:00:95', 'applied')])
        self.assertEqual(self.elements('quarantine_mac'), ['44:19:b6:10:00:95'])
        self.assertEqual(self.elements('quarantine_v4'), ['192.168.1.10'])


class Inet(Namespaces):
    """The same on the router's inet table (routed traffic)."""
    family = 'inet'

    def test_quarantine_and_release(self):
        self.quarantine_a()
        self.assertFalse(self.reach(A, IP_S))
        self.assertFalse(self.udp(A, IP_R, 5000))
        self.assertTrue(self.udp(A, IP_R, 53))
        self.assertTrue(self.reach(B, IP_S))
        self.run_enforce('release', MAC_A)
        self.assertTrue(self.reach(A, IP_S))


if __name__ == '__main__':
    unittest.main(verbosity=2)
