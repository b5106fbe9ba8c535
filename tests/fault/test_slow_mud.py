"""Fault: a MUD server that stalls 30 s. A live sensor must keep up with the traffic
meanwhile (no kernel drops, every packet counted), bind the devices when their
profiles come, and check the flows they opened during the stall then, with the
verdicts a replay gives; and SIGTERM during the stall must end it within 2 s with
its final stats.

Three network namespaces this test creates (and removes), no route out:
  A (tcpreplay) --veth-- B (mudguard -i) --veth-- S (the HTTPS server)
The sensor captures on its link to A; it reaches the server over its link to S
([mud] connect_to), so its own fetches are not in its capture. The server's
certificate is from a test CA made here with openssl (as in test_mud_fetch.py).
Replayed: c2.pcap (the hub, camera and plug announce MUD URLs by DHCP; later the
hub joins an IRC server, which its profile does not allow), then 40,000 UDP
packets of other devices, more than the sensor's 2 MiB kernel buffer holds: a
packet loop that waited on the server would drop them."""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'replay'))

MUDGUARD = os.environ['MUDGUARD']
MUD = os.environ['MUDGUARD_MUD']
PCAPS = os.environ['MG_PCAPS']
STALL = 30
HUB = 'd0:52:a8:10:04:d5'
KINDS = {HUB: 'smartthings/hub-v3.json', '44:19:b6:10:00:95': 'hikvision/ds-2cd.json',
         '50:c7:bf:10:01:52': 'tplink/hs110.json'}
BULK = 40000
TAG = str(os.getpid())
NS = {'A': 'mg-fa-' + TAG, 'B': 'mg-fb-' + TAG, 'S': 'mg-fs-' + TAG}
SERVER_IP, PORT = '10.199.3.1', 8443


def skip(why):
    print('SKIP:', why)
    sys.exit(77)


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw)


def nsx(ns, *args):
    return ['ip', 'netns', 'exec', NS[ns], *args]


def events(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.endswith('\n'):
                out.append(json.loads(line))
    return out


def of(evs, kind):
    return [e for e in evs if e['event_type'] == kind]


def bulk_pcap(path):
    """BULK UDP frames between two devices of their own, 16 flows, 192 bytes each."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(BULK):
            payload = bytes(150)
            udp = struct.pack('>HHHH', 40000 + i % 16, 5000, 8 + len(payload), 0) + payload
            ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([10, 200, 0, 1]), bytes([10, 200, 0, 2]))
            s = sum(struct.unpack('>10H', ip))
            s = (s & 0xffff) + (s >> 16)
            ip = ip[:10] + struct.pack('>H', ~s & 0xffff) + ip[12:]
            frame = bytes.fromhex('020000000202' '020000000201' '0800') + ip + udp
            f.write(struct.pack('<IIII', 1700000000 + i // 1000, (i % 1000) * 1000, len(frame),
                                len(frame)))
            f.write(frame)


def pcap_frames(path):
    import pcaputil
    return len(pcaputil.read_pcap(path)[1])


def violations(evs):
    keys = ('mac', 'src_ip', 'dest_ip', 'dest_port', 'proto', 'direction', 'peer_name',
            'reason', 'verdict')
    return sorted(tuple(str(v.get(k)) for k in keys) for v in of(evs, 'mud_violation'))


class Net:
    def __init__(self, tmp):
        self.tmp = tmp
        self.server = None

    def __enter__(self):
        for ns in NS.values():
            sh('ip', 'netns', 'add', ns)
        sh('ip', 'link', 'add', 'mga0', 'netns', NS['A'], 'type', 'veth', 'peer', 'name', 'mgb0',
           'netns', NS['B'])
        sh('ip', 'link', 'add', 'mgc0', 'netns', NS['B'], 'type', 'veth', 'peer', 'name', 'mgs0',
           'netns', NS['S'])
        for ns, dev, addr in (('A', 'mga0', '10.199.2.1/24'), ('B', 'mgb0', '10.199.2.2/24'),
                              ('B', 'mgc0', '10.199.3.2/24'), ('S', 'mgs0', SERVER_IP + '/24')):
            sh(*nsx(ns, 'ip', 'addr', 'add', addr, 'dev', dev))
            sh(*nsx(ns, 'ip', 'link', 'set', dev, 'up'))
        return self

    def __exit__(self, *exc):
        if self.server:
            self.server.kill()
            self.server.wait()
        for ns in NS.values():
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def make_certs(t):
    def openssl(*a):
        sh('openssl', *a, cwd=t)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out',
            'ca.pem', '-days', '2', '-subj', '/CN=mudguard test CA')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr',
            '-subj', '/CN=mud.example.com')
    with open(os.path.join(t, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=DNS:mud.example.com\n')
    openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf')


def wait_for(what, cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = cond()
        if r:
            return r
        time.sleep(0.1)
    raise AssertionError('timed out waiting for ' + what)


class Sensor:
    def __init__(self, tmp, conf, name):
        self.events = os.path.join(tmp, name + '.json')
        self.stderr = os.path.join(tmp, name + '.log')
        self.p = subprocess.Popen(nsx('B', MUDGUARD, '-c', conf, '-i', 'mgb0', '-o',
                                      self.events, '--stats-interval', '1'),
                                  stderr=open(self.stderr, 'w'))
        wait_for('the sensor to capture', lambda: self.p.poll() is not None or
                 'capturing on mgb0' in self.log(), 10)
        assert self.p.poll() is None, self.log()

    def log(self):
        with open(self.stderr) as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns how long it took to exit."""
        t0 = time.monotonic()
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        took = time.monotonic() - t0
        assert rc == 0, 'exit status %d: %s' % (rc, self.log())
        return took


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main():
    if os.geteuid() != 0:
        skip('needs root (network namespaces)')
    for tool in ('ip', 'tcpreplay', 'openssl'):
        if not shutil.which(tool):
            skip('needs ' + tool)
    tmp = tempfile.mkdtemp()
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp)
    print('1 passed, 0 failed')


def run(tmp):
    make_certs(tmp)
    root = os.path.join(tmp, 'www')
    repo = os.path.join(tmp, 'repo', 'mud.example.com')
    for mac, path in KINDS.items():
        for d in (root, repo):
            os.makedirs(os.path.dirname(os.path.join(d, path)), exist_ok=True)
        sh(MUD, 'learn', '-r', os.path.join(PCAPS, 'benign.pcap'), '--mac', mac, '-o',
           os.path.join(root, path))
        shutil.copy(os.path.join(root, path), os.path.join(repo, path))
    rules = os.path.join(tmp, 'rules')
    os.makedirs(rules)
    open(os.path.join(rules, 'site.rules'), 'w').close()
    common = '[mud]\nrules = %s\nquarantine = yes\n' % rules
    # what a replay (retrieval at the binding packet) says about the same traffic
    oracle_conf = os.path.join(tmp, 'oracle.conf')
    with open(oracle_conf, 'w') as f:
        f.write(common + 'repository = %s\n' % os.path.join(tmp, 'repo'))
    c2 = os.path.join(PCAPS, 'c2.pcap')
    p = sh(MUDGUARD, '-c', oracle_conf, '-r', c2, '-o', '-')
    oracle = [json.loads(x) for x in p.stdout.decode().splitlines()]
    want = violations(oracle)
    want_q = len(of(oracle, 'quarantine'))
    check(want and want_q, 'the replay finds the hub leaving its profile')

    conf = os.path.join(tmp, 'live.conf')
    with open(conf, 'w') as f:
        f.write('[capture]\nbuffer_mib = 2\n' + common +
                'repository = %s\nfetch = yes\nrequire_signature = no\nfetch_timeout = 60\n'
                'ca_file = %s\nconnect_to = mud.example.com:443:%s:%d\n'
                % (os.path.join(tmp, 'none'), os.path.join(tmp, 'ca.pem'), SERVER_IP, PORT))
    bulk = os.path.join(tmp, 'bulk.pcap')
    bulk_pcap(bulk)
    replayed = pcap_frames(c2) + BULK
    srvlog = os.path.join(tmp, 'server.log')

    def served(what):
        with open(srvlog) as f:
            return [ln.split() for ln in f if ln.startswith(what + ' ') and '.json' in ln]

    with Net(tmp) as net:
        net.server = subprocess.Popen(nsx('S', sys.executable,
                                          os.path.join(HERE, 'slow_mud_server.py'),
                                          os.path.join(tmp, 'srv.pem'),
                                          os.path.join(tmp, 'srv.key'), SERVER_IP, str(PORT),
                                          root, str(STALL), srvlog))
        wait_for('the server', lambda: os.path.exists(srvlog) and 'LISTENING' in open(srvlog).read(),
                 10)

        # 1. traffic through the stall
        s = Sensor(tmp, conf, 'live')
        t0 = time.monotonic()
        sh(*nsx('A', 'tcpreplay', '-q', '-i', 'mga0', '--mbps', '40', c2))
        sh(*nsx('A', 'tcpreplay', '-q', '-i', 'mga0', '--mbps', '40', bulk))
        sent_s = time.monotonic() - t0
        check(sent_s < STALL - 5, 'replay took %.1f s: not within the stall' % sent_s)
        check(not served('ANSWERED'), 'the server answered before the replay ended')
        def settled():
            b = [b for b in of(events(s.events), 'mud_binding') if b['status'] != 'pending']
            return b if len(b) >= len(KINDS) else None
        try:
            bound = wait_for('the profiles', settled, STALL + 20)
        except AssertionError:
            s.stop()
            final = [e for e in of(events(s.events), 'stats') if e['final']]
            print('no profiles in time; bindings %s; final stats: %s'
                  % ([b['status'] for b in of(events(s.events), 'mud_binding')],
                     final and (final[0]['packets'], final[0]['capture'])))
            raise
        time.sleep(1.5)  # the periodic stats after the late checks
        s.stop()
        evs = events(s.events)
        log = s.log()

        final = [e for e in of(evs, 'stats') if e['final']]
        check(len(final) == 1, 'one final stats event')
        st = final[0]
        cap, mud = st['capture'], st['mud']
        print('replayed %d frames in %.1f s; the sensor counted %d packets; kernel: %s'
              % (replayed, sent_s, st['packets'], cap))
        check(cap['kernel_dropped'] == 0, 'kernel drops: %s' % cap)
        check(st['packets'] >= replayed, 'counted %d of %d' % (st['packets'], replayed))
        binds = of(evs, 'mud_binding')
        for mac in KINDS:
            b = [x for x in binds if x['mac'] == mac]
            check([x['status'] for x in b] == ['pending', 'bound'], '%s: %s' % (mac, b))
            waited = (time_of(b[1]) - time_of(b[0]))
            print('%s: pending, bound %.1f s later (%s); flows checked late %d, unchecked %d'
                  % (mac, waited, b[1]['profile']['origin'], b[1]['flows_checked_late'],
                     b[1]['flows_unchecked']))
            check(waited >= STALL - 1, '%s bound after %.1f s: no stall?' % (mac, waited))
            check(b[1]['flows_checked_late'] > 0 and b[1]['flows_unchecked'] == 0, b[1])
        got = violations(evs)
        late = of(evs, 'mud_violation')
        lost = len([v for v in want if v not in got])
        dup = len(got) - len(set(got))
        extra = len([v for v in set(got) if v not in want])
        q = len(of(evs, 'quarantine'))
        print('violations: replay %d, live %d (all checked late: %s); events lost %d, '
              'duplicated %d, unexpected %d' % (len(want), len(got),
                                               all(v.get('checked_late') for v in late),
                                               lost, dup, extra))
        print('quarantines (dry-run enforcer): replay %d, live %d; lost %d, doubled %d'
              % (want_q, q, max(want_q - q, 0), max(q - want_q, 0)))
        print('stats mud: %s' % mud)
        check(not lost and not dup and not extra, 'violations differ: %s vs %s' % (got, want))
        check(all(v.get('checked_late') for v in late), late)
        check(all(time_of(v) >= time_of(bound[0]) for v in late), 'a violation before binding')
        check(q == want_q, 'quarantine verdicts %d, want %d' % (q, want_q))
        check(mud['flows_held'] == 0 and mud['flows_unchecked'] == 0, mud)
        check(mud['retrievals'] == len(KINDS) and mud['retrievals_in_flight'] == 0, mud)
        print('log: ' + ' | '.join(log.strip().splitlines()))

        # 2. SIGTERM during the stall
        n = len(served('ARRIVED'))
        s = Sensor(tmp, conf, 'term')
        sh(*nsx('A', 'tcpreplay', '-q', '-i', 'mga0', '--mbps', '40', c2))
        wait_for('the requests', lambda: len(served('ARRIVED')) >= n + len(KINDS), 10)
        time.sleep(1)
        took = s.stop()
        evs = events(s.events)
        final = [e for e in of(evs, 'stats') if e['final']]
        print('SIGTERM during the stall: exited in %.2f s; final stats: %d; bindings: %s; '
              'device mud status: %s' % (took, len(final),
                                        [b['status'] for b in of(evs, 'mud_binding')],
                                        sorted({d['mud']['status'] for d in
                                                of(evs, 'device_summary') if 'mud' in d})))
        print('log: ' + ' | '.join(s.log().strip().splitlines()))
        check(took < 2, 'shutdown took %.2f s' % took)
        check(len(final) == 1 and final[0]['mud']['retrievals_in_flight'] == len(KINDS), final)
        check(final[0]['capture']['kernel_dropped'] == 0, final[0]['capture'])
        check(all(b['status'] == 'pending' for b in of(evs, 'mud_binding')), 'no profile came')


def time_of(e):
    from datetime import datetime
    return datetime.strptime(e['timestamp'], '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()


if __name__ == '__main__':
    main()
