"""Analysts' commands and split sensor/enforcer deployments (issue 7), against
Debian's redis-server on 127.0.0.1 with a free port and a temporary directory:
a sensor without an enforcer publishes verdicts, `mudguard --enforcer`
applies them (each enforcer through its own consumer group, at least once,
idempotently), mudguardctl's release, pin, unpin and approve change state and
leave an audit trail. The last class runs the split deployment across network
namespaces it creates: the attacking device loses its network through Redis
alone (root only)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_redis import Server  # noqa: E402

MUDGUARD = os.environ['MUDGUARD']
CTL = os.environ['MUDGUARDCTL']
PCAPS = os.environ['MG_PCAPS']
CAMERA = '44:19:b6:10:00:95'  # the Mirai-infected camera of mirai.pcap
CAMERA_IP = '192.168.1.10'


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(x) for x in f.read().splitlines() if x.endswith('}')]


def wait_for(pred, what, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError('timed out waiting for ' + what)


class Split:
    """Helpers: enforcers, publishing sensors and mudguardctl on one Redis."""
    ns = None  # a network namespace to run in, for the namespace test

    def run_in(self, args):
        return (['ip', 'netns', 'exec', self.ns] if self.ns else []) + args

    def enforcer(self, name, mode='enforce', backend='dry-run', extra='', ns=None, url=None):
        conf = os.path.join(self.dir, name + '.conf')
        with open(conf, 'w') as f:
            f.write('[enforce]\nmode = %s\nbackend = %s\nstate_file = %s/%s.state\n%s\n'
                    '[redis]\nsensor = %s\nspool = %s/%s.spool\n'
                    % (mode, backend, self.dir, name, extra, name, self.dir, name))
        out = os.path.join(self.dir, name + '.jsonl')
        cmd = [MUDGUARD, '--enforcer', '-c', conf, '--redis', url or self.srv.url(), '-o', out]
        p = subprocess.Popen((['ip', 'netns', 'exec', ns] if ns else []) + cmd,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        wait_for(lambda: p.poll() is not None or self.in_group(name), 'enforcer ' + name)
        self.assertIsNone(p.poll(), p.stderr.read() if p.poll() is not None else '')
        return p, out

    def in_group(self, name):
        out = self.srv.cli('XINFO', 'CONSUMERS', 'mudguard:verdicts', 'enforcer:' + name,
                           check=False).stdout
        return name in out.split()

    def idle(self, name):
        """The enforcer's group has read and acknowledged everything."""
        for stream in ('mudguard:verdicts', 'mudguard:commands'):
            out = self.srv.cli('XINFO', 'GROUPS', stream).stdout.split('\n')
            g = out.index('enforcer:' + name)  # name, value, key, value, ... up to the next
            end = out.index('name', g) if 'name' in out[g:] else len(out)
            info = dict(zip(out[g + 1:end:2], out[g + 2:end:2]))
            if info.get('pending') != '0' or info.get('lag') not in ('0', ''):
                return False
        return True

    def publish(self, sensor, pcap='mirai.pcap', url=None):
        conf = os.path.join(self.dir, sensor + '.conf')
        with open(conf, 'w') as f:
            f.write('[redis]\nsensor = %s\nspool = %s/%s.spool\n' % (sensor, self.dir, sensor))
        out = os.path.join(self.dir, sensor + '.jsonl')
        p = subprocess.run(self.run_in([MUDGUARD, '-c', conf, '-r', os.path.join(PCAPS, pcap),
                                        '--enforce', 'off', '--redis', url or self.srv.url(),
                                        '-o', out]),
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [e for e in read_events(out) if e['event_type'] == 'verdict']

    def ctl(self, *args, url=None):
        return subprocess.run(self.run_in([CTL, '--redis', url or self.srv.url()] + list(args)),
                              capture_output=True, text=True, timeout=60)

    def quarantines(self, out, **match):
        return [e for e in read_events(out) if e['event_type'] == 'quarantine' and
                all(e.get(k) == v for k, v in match.items())]

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stderr:
                p.stderr.close()


@unittest.skipUnless(shutil.which('redis-server') and shutil.which('redis-cli'),
                     'needs redis-server and redis-cli')
class Commands(Split, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-cmd-')
        self.srv = Server(self.dir)
        self.srv.start()
        self.procs = []

    def tearDown(self):
        self.stop_all()
        self.srv.stop()
        shutil.rmtree(self.dir)

    def test_verdicts_reach_every_enforcer_once(self):
        _, out1 = self.enforcer('gw1')
        _, out2 = self.enforcer('gw2')
        verdicts = self.publish('span1')
        self.assertEqual([v['mac'] for v in verdicts], [CAMERA])
        self.assertEqual(verdicts[0]['applied'], 'published')
        self.assertIn(CAMERA_IP, verdicts[0]['addresses'])
        self.assertEqual(self.srv.cli('XLEN', 'mudguard:verdicts').stdout.strip(), '1')
        for out in (out1, out2):  # each gateway applies it
            q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'a quarantine')
            self.assertEqual(q[0]['applied'], 'dry-run')
            self.assertEqual(q[0]['evidence'], verdicts[0]['event_id'])
            self.assertEqual(q[0]['reason'], verdicts[0]['reason'])
        # a second sensor sees the same camera, and an entry is delivered twice:
        # applied once all the same
        self.publish('span2')
        entry = self.srv.cli('XRANGE', 'mudguard:verdicts', '-', '+', 'COUNT', '1').stdout
        self.srv.cli('XADD', 'mudguard:verdicts', '*', 'id', verdicts[0]['event_id'], 'event',
                     json.dumps(verdicts[0]))
        self.assertIn(verdicts[0]['event_id'], entry)
        for name, out in (('gw1', out1), ('gw2', out2)):
            wait_for(lambda: self.idle(name), name + ' to read everything')
            time.sleep(0.3)
            self.assertEqual(len(self.quarantines(out)), 1, read_events(out))
        reg = json.loads(self.srv.cli('HGET', 'mudguard:quarantines', CAMERA).stdout)
        self.assertEqual(reg['mac'], CAMERA)

    def test_enforcer_away_misses_nothing(self):
        p, out = self.enforcer('gw1')
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        verdicts = self.publish('span1')  # while no enforcer runs
        self.assertEqual(len(verdicts), 1)
        self.enforcer('gw1')
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the quarantine after restart')
        self.assertEqual(q[0]['evidence'], verdicts[0]['event_id'])

    def test_redis_loses_its_data(self):
        """Redis restarted empty (no persistence): the enforcer makes its
        group again on the same connection and applies the next verdict; one
        line when Redis went, one when it was back, for each of its
        connections (the reader's and the journal's)."""
        p, out = self.enforcer('gw1')
        self.srv.kill()
        shutil.rmtree(os.path.join(self.dir, 'appendonlydir'), ignore_errors=True)
        time.sleep(1)
        self.srv.start()
        wait_for(lambda: self.in_group('gw1'), 'the group made again', timeout=15)
        verdicts = self.publish('span1')
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the quarantine')
        self.assertEqual(q[0]['evidence'], verdicts[0]['event_id'])
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        err = p.stderr.read()
        self.assertEqual(err.count('commands and verdicts wait'), 1, err)
        self.assertEqual(err.count('spooling events to'), 1, err)
        self.assertEqual(err.count('Redis back at'), 2, err)

    def test_analyst_workflow(self):
        _, out = self.enforcer('gw1')
        self.publish('span1')
        wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the quarantine')
        # events -> device -> release -> audit
        ev = self.ctl('events', '--type', 'quarantine')
        self.assertEqual(ev.returncode, 0, ev.stderr)
        self.assertIn(CAMERA, ev.stdout)
        dev = self.ctl('device', CAMERA)
        self.assertEqual(dev.returncode, 0, dev.stderr)
        self.assertIn('quarantine dry-run: mirai_syn', dev.stdout)
        rel = self.ctl('release', CAMERA.upper(), '--reason', 'camera reflashed', '--by', 'alice')
        self.assertEqual(rel.returncode, 0, rel.stdout + rel.stderr)
        self.assertRegex(rel.stdout, r'gw1 +dry-run')
        # the enforcer's own JSON lines (flushed once a second) say the same
        ans = wait_for(lambda: [e for e in read_events(out) if e['event_type'] == 'command'],
                       'the answer in the events file')
        self.assertEqual(len(ans), 1)
        self.assertEqual((ans[0]['action'], ans[0]['mac'], ans[0]['by'], ans[0]['reason'],
                          ans[0]['result'], ans[0]['answered_by']),
                         ('release', CAMERA, 'alice', 'camera reflashed', 'dry-run', 'gw1'))
        rel_ev = [e for e in read_events(out) if e['event_type'] == 'release']
        self.assertEqual((rel_ev[0]['by'], rel_ev[0]['reason']), ('alice', 'camera reflashed'))
        self.assertEqual(self.srv.cli('HLEN', 'mudguard:quarantines').stdout.strip(), '0')
        with open(os.path.join(self.dir, 'gw1.state')) as f:
            self.assertNotIn('\nq ', f.read())
        audit = self.ctl('audit', '--mac', CAMERA)
        self.assertEqual(audit.returncode, 0, audit.stderr)
        lines = audit.stdout.splitlines()
        self.assertEqual(len(lines), 2, audit.stdout)
        self.assertIn('release  requested by alice: camera reflashed', lines[0])
        self.assertIn('dry-run by gw1', lines[1])
        self.assertIn(ans[0]['command'], lines[0])
        self.assertIn('ok', self.ctl('devices').stdout.split(CAMERA)[1].split('\n')[0])
        # nothing left to release: answered, and the exit status says so
        again = self.ctl('release', CAMERA, '--reason', 'twice', '--by', 'alice')
        self.assertEqual(again.returncode, 1)
        self.assertIn('not-quarantined', again.stdout)
        # pin: never quarantined, even when a sensor says so again
        pin = self.ctl('pin', CAMERA, '--reason', 'lab camera', '--by', 'bob')
        self.assertEqual(pin.returncode, 0, pin.stdout + pin.stderr)
        self.assertIn('pinned', self.ctl('devices').stdout.split(CAMERA)[1].split('\n')[0])
        self.assertIn(CAMERA, self.srv.cli('HKEYS', 'mudguard:pins').stdout)
        self.publish('span2')
        sup = wait_for(lambda: self.quarantines(out, applied='suppressed'), 'a suppressed one')
        self.assertIn('pinned', sup[0]['suppressed_by'])
        self.assertIn('by bob: lab camera', sup[0]['suppressed_by'])
        unpin = self.ctl('unpin', CAMERA, '--reason', 'lab is over', '--by', 'bob')
        self.assertEqual(unpin.returncode, 0, unpin.stdout + unpin.stderr)
        self.assertEqual(self.srv.cli('HLEN', 'mudguard:pins').stdout.strip(), '0')
        with open(os.path.join(self.dir, 'gw1.state')) as f:
            self.assertNotIn('\np ', f.read())
        actions = [json.loads(x) for x in self.ctl('--json', 'audit').stdout.splitlines()]
        self.assertEqual([(a['event_type'], a['action']) for a in actions],
                         [('command_request', 'release'), ('command', 'release'),
                          ('command_request', 'release'), ('command', 'release'),
                          ('command_request', 'pin'), ('command', 'pin'),
                          ('command_request', 'unpin'), ('command', 'unpin')])
        # refused before anything is sent
        self.assertEqual(self.ctl('release', 'nonsense', '--reason', 'x').returncode, 2)
        self.assertEqual(self.ctl('release', CAMERA).returncode, 2)

    def test_approve_a_monitor_verdict(self):
        _, out = self.enforcer('gw1', mode='monitor')
        self.publish('span1')
        mon = wait_for(lambda: self.quarantines(out, applied='monitor'), 'a monitor verdict')
        self.assertIn('verdict', self.ctl('devices').stdout.split(CAMERA)[1].split('\n')[0])
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'gw1.state')) and
                         '\nq ' in open(os.path.join(self.dir, 'gw1.state')).read())
        ok = self.ctl('approve', CAMERA, '--reason', 'confirmed on the camera', '--by', 'carol')
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        q = wait_for(lambda: self.quarantines(out, by='carol'), 'the approved quarantine')
        self.assertEqual(q[0]['applied'], 'dry-run')
        self.assertEqual(q[0]['evidence'], mon[0]['event_id'])
        self.assertIn(CAMERA_IP, q[0]['addresses'])
        with open(os.path.join(self.dir, 'gw1.state')) as f:
            self.assertIn('q ' + CAMERA, f.read())
        none = self.ctl('approve', '00:11:22:33:44:55', '--reason', 'x')
        self.assertEqual(none.returncode, 1)
        self.assertIn('no monitor-mode verdict', none.stderr)

    def test_nobody_answers(self):
        p = self.ctl('release', CAMERA, '--reason', 'x', '--wait', '1')
        self.assertEqual(p.returncode, 1)
        self.assertIn('no sensor or enforcer answered within 1 s', p.stderr)

    def test_stale_command_is_not_applied(self):
        _, out = self.enforcer('gw1')
        self.srv.cli('XADD', 'mudguard:commands', '*', 'action', 'pin', 'mac', CAMERA, 'by',
                     'erin', 'reason', 'old', 'requested', '2020-01-01T00:00:00.000000Z')
        ans = wait_for(lambda: [e for e in read_events(out) if e['event_type'] == 'command'],
                       'the answer')
        self.assertEqual(ans[0]['result'], 'expired')
        self.assertIn('older than 600 s are not applied', ans[0]['detail'])
        self.assertEqual(self.srv.cli('HLEN', 'mudguard:pins').stdout.strip(), '0')

    def old_entry(self, stream, *fields, age_s=660):
        """An entry @age_s old on @stream (its id: the time it reached Redis)."""
        ms = int(self.srv.cli('TIME').stdout.split()[0]) * 1000 - age_s * 1000
        self.srv.cli('XADD', stream, '%d-0' % ms, *fields)

    def away(self, p, name):
        """Stops enforcer @p, as if it had last read an hour ago."""
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        ms = int(self.srv.cli('TIME').stdout.split()[0]) * 1000 - 3600 * 1000
        for stream in ('mudguard:verdicts', 'mudguard:commands'):
            self.srv.cli('XGROUP', 'SETID', stream, 'enforcer:' + name, '%d-0' % ms)

    def test_release_while_no_enforcer_runs(self):
        """A gateway that holds a quarantine (its state file) and has not met
        this Redis yet; the analyst releases the device before it starts:
        the new enforcer's group starts 10 minutes back and applies it."""
        with open(os.path.join(self.dir, 'gw1.state'), 'w') as f:
            f.write('mudguard-quarantine 1\no %s 1\nq %s %d %s mirai_syn\n'
                    % (CAMERA, CAMERA, (time.time() + 3600) * 1e6, CAMERA_IP))
        rel = self.ctl('release', CAMERA, '--reason', 'reflashed', '--by', 'alice', '--wait', '1')
        self.assertEqual(rel.returncode, 1)
        self.assertIn('stays on mudguard:commands: a reader that starts or comes back within '
                      '600 s of the request applies it', rel.stderr)
        _, out = self.enforcer('gw1')
        ans = wait_for(lambda: [e for e in read_events(out) if e['event_type'] == 'command'],
                       'the answer')
        self.assertEqual((ans[0]['action'], ans[0]['result'], ans[0]['by']),
                         ('release', 'dry-run', 'alice'))
        rel_ev = [e for e in read_events(out) if e['event_type'] == 'release']
        self.assertEqual([(e['mac'], e['reason']) for e in rel_ev], [(CAMERA, 'reflashed')])
        with open(os.path.join(self.dir, 'gw1.state')) as f:
            self.assertNotIn('\nq ', f.read())

    def test_new_enforcer_applies_a_recent_verdict(self):
        verdicts = self.publish('span1')  # before any enforcer met this Redis
        _, out = self.enforcer('gw1')
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the quarantine')
        self.assertEqual(q[0]['evidence'], verdicts[0]['event_id'])

    def test_command_older_than_the_window(self):
        """Read 11 minutes after it reached Redis (it has no `requested`
        time of its own): answered `expired`, not applied."""
        p, out = self.enforcer('gw1')
        self.away(p, 'gw1')
        self.old_entry('mudguard:commands', 'action', 'pin', 'mac', CAMERA, 'by', 'erin',
                       'reason', 'old')
        self.enforcer('gw1')
        ans = wait_for(lambda: [e for e in read_events(out) if e['event_type'] == 'command'],
                       'the answer')
        self.assertEqual(ans[0]['result'], 'expired')
        self.assertIn('older than 600 s are not applied', ans[0]['detail'])
        self.assertEqual(self.srv.cli('HLEN', 'mudguard:pins').stdout.strip(), '0')

    def test_stale_verdict_is_not_applied(self):
        """A verdict published 11 minutes before the enforcer reads it (it
        was away): recorded as stale, not applied; a fresh one is."""
        p, out = self.enforcer('gw1')
        self.away(p, 'gw1')
        old = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'verdict',
               'mac': CAMERA, 'action': 'quarantine', 'reason': 'mirai_syn',
               'addresses': [CAMERA_IP], 'applied': 'published', 'event_id': 'span0:r:7'}
        self.old_entry('mudguard:verdicts', 'mac', CAMERA, 'id', old['event_id'], 'event',
                       json.dumps(old))
        self.enforcer('gw1')
        stale = wait_for(lambda: [e for e in read_events(out) if e.get('action') ==
                                  'stale_verdict'], 'the stale verdict recorded')
        self.assertEqual((stale[0]['event_type'], stale[0]['mac'], stale[0]['evidence']),
                         ('enforcement', CAMERA, 'span0:r:7'))
        self.assertRegex(stale[0]['detail'], r'published 6[56]\d s ago: verdicts older than '
                                             r'600 s are not applied')
        self.assertEqual(self.quarantines(out), [])
        verdicts = self.publish('span1')
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the fresh verdict applied')
        self.assertEqual(q[0]['evidence'], verdicts[0]['event_id'])

    def test_enforcer_sighup(self):
        """SIGHUP: the enforcer's events go to the file of that name again
        (logrotate) and its never list is taken from the file again."""
        p, out = self.enforcer('gw1')
        conf = os.path.join(self.dir, 'gw1.conf')
        os.rename(out, out + '.1')
        with open(conf, 'a') as f:
            f.write('[enforce]\nnever = %s\n' % CAMERA_IP)
        p.send_signal(signal.SIGHUP)
        wait_for(lambda: os.path.exists(out), 'the events file opened again')
        verdicts = self.publish('span1')
        self.assertEqual([v['mac'] for v in verdicts], [CAMERA])
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the verdict, in the new file')
        self.assertEqual(q[0]['applied'], 'suppressed')
        self.assertEqual(q[0]['suppressed_by'], 'never-quarantine list: ' + CAMERA_IP)
        self.assertIsNone(p.poll())
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        err = p.stderr.read()
        self.assertIn('reloaded: the never-quarantine list', err)
        # a configuration with a problem changes nothing
        p, out = self.enforcer('gw2')
        with open(os.path.join(self.dir, 'gw2.conf'), 'a') as f:
            f.write('[enforce]\nnever = 999.1.1.1\n')
        p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        err = p.stderr.read()
        self.assertIn('999.1.1.1', err)
        self.assertIn('nothing changed', err)

    def test_enforcer_refusals(self):
        p = subprocess.run([MUDGUARD, '--enforcer'], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn('needs --redis', p.stderr)
        p = subprocess.run([MUDGUARD, '--enforcer', '--enforce', 'off', '--redis', self.srv.url()],
                           capture_output=True, text=True)
        self.assertIn('needs [enforce] backend dry-run or nft', p.stderr)
        p = subprocess.run([MUDGUARD, '--enforcer', '-r', 'x.pcap'], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)


def sh(*args, ns=None, check=True):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and p.returncode:
        raise AssertionError('%s: %s%s' % (' '.join(cmd), p.stdout, p.stderr))
    return p


def netns_usable():
    if os.geteuid() != 0 or not shutil.which('ip') or not shutil.which('nft'):
        return False
    probe = 'mgcprobe-%d' % os.getpid()
    ok = sh('ip', 'netns', 'add', probe, check=False).returncode == 0
    sh('ip', 'netns', 'del', probe, check=False)
    return ok


TAG = str(os.getpid())
SOC, GW, CAM, SPAN = ('mg%s-%s' % (x, TAG) for x in ('soc', 'gw', 'cam', 'span'))
GW_IP = '192.168.1.1'
ECHO = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b'hi'); c.close()
'''
ASK = r'''
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    print('OK' if c.recv(10) == b'hi' else 'BAD')
except OSError:
    print('TIMEOUT')
'''


@unittest.skipUnless(shutil.which('redis-server') and netns_usable(),
                     'needs root, iproute2, nftables, network namespaces and redis-server')
class SplitNamespaces(Split, unittest.TestCase):
    """Redis in namespace soc; the enforcer on gateway gw, whose LAN has the
    camera (namespace cam, with the MAC and address of mirai.pcap's camera);
    the sensor replays the capture in namespace span. They share nothing but
    Redis, reached over veth links."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-split-')
        self.procs = []
        for ns in (SOC, GW, CAM, SPAN):
            sh('ip', 'netns', 'add', ns)
            sh('ip', 'link', 'set', 'lo', 'up', ns=ns)
        links = ((GW, 'soc0', '10.98.1.2', SOC, 'gw0', '10.98.1.1'),
                 (SPAN, 'soc0', '10.98.2.2', SOC, 'span0', '10.98.2.1'),
                 (CAM, 'eth0', CAMERA_IP, GW, 'lan0', GW_IP))
        for a, ia, ipa, b, ib, ipb in links:
            sh('ip', 'link', 'add', ia, 'netns', a, 'type', 'veth', 'peer', 'name', ib, 'netns', b)
            sh('ip', 'addr', 'add', ipa + '/24', 'dev', ia, ns=a)
            sh('ip', 'addr', 'add', ipb + '/24', 'dev', ib, ns=b)
            sh('ip', 'link', 'set', ia, 'up', ns=a)
            sh('ip', 'link', 'set', ib, 'up', ns=b)
        sh('ip', 'link', 'set', 'eth0', 'address', CAMERA, ns=CAM)
        self.srv = Server(self.dir)
        self.srv.start = self.start_in_soc
        self.srv.start()
        self.procs.append(subprocess.Popen(['ip', 'netns', 'exec', GW, sys.executable, '-c', ECHO,
                                            GW_IP, '7000']))

    def start_in_soc(self):
        srv = self.srv
        srv.proc = subprocess.Popen(['ip', 'netns', 'exec', SOC, 'redis-server', '--port',
                                     str(srv.port), '--bind', '10.98.1.1', '10.98.2.1',
                                     '127.0.0.1', '--protected-mode', 'no', '--dir', srv.dir,
                                     '--save', ''], stdout=subprocess.DEVNULL)
        srv.cli = lambda *a, check=True: subprocess.run(
            ['ip', 'netns', 'exec', SOC, 'redis-cli', '-p', str(srv.port), '--raw'] + list(a),
            capture_output=True, text=True, check=check)
        wait_for(lambda: srv.cli('PING', check=False).returncode == 0, 'redis-server')

    def tearDown(self):
        self.stop_all()
        self.srv.stop()
        for ns in (SOC, GW, CAM, SPAN):
            sh('ip', 'netns', 'del', ns, check=False)
        shutil.rmtree(self.dir)

    def camera_reaches_gateway(self):
        return sh(sys.executable, '-c', ASK, GW_IP, '7000', ns=CAM).stdout.strip() == 'OK'

    def test_sensor_and_enforcer_through_redis_alone(self):
        url_gw = 'redis://10.98.1.1:%d' % self.srv.port
        url_span = 'redis://10.98.2.1:%d' % self.srv.port
        wait_for(self.camera_reaches_gateway, 'the camera to reach the gateway')
        _, out = self.enforcer('gw', backend='nft', extra='family = inet', ns=GW, url=url_gw)
        self.assertTrue(self.camera_reaches_gateway())
        self.ns = SPAN
        verdicts = self.publish('span', url=url_span)  # needs no privilege: --enforce off
        self.assertEqual([v['mac'] for v in verdicts], [CAMERA])
        q = wait_for(lambda: self.quarantines(out, mac=CAMERA), 'the quarantine')
        self.assertEqual(q[0]['applied'], 'applied', q)
        sets = sh('nft', 'list', 'set', 'inet', 'mudguard', 'quarantine_mac', ns=GW).stdout
        self.assertIn(CAMERA, sets)
        self.assertIn(CAMERA_IP, sh('nft', 'list', 'set', 'inet', 'mudguard', 'quarantine_v4',
                                    ns=GW).stdout)
        self.assertFalse(self.camera_reaches_gateway())
        # a live sensor with an enforcer of its own (dry-run) on the gateway's
        # LAN reads commands too, through its own group
        conf = os.path.join(self.dir, 'live.conf')
        with open(conf, 'w') as f:
            f.write('[enforce]\nmode = enforce\nbackend = dry-run\nstate_file = %s/live.state\n'
                    '[redis]\nsensor = gwlive\nspool = %s/live.spool\n' % (self.dir, self.dir))
        live = subprocess.Popen(['ip', 'netns', 'exec', GW, MUDGUARD, '-c', conf, '-i', 'lan0',
                                 '--redis', url_gw, '-o', os.path.join(self.dir, 'live.jsonl')],
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(live)
        wait_for(lambda: 'gwlive' in self.srv.cli('XINFO', 'CONSUMERS', 'mudguard:commands',
                                                  'sensor:gwlive', check=False).stdout.split(),
                 'the live sensor to join')
        # the analyst, from the sensor's side, releases it
        rel = self.ctl('release', CAMERA, '--reason', 'false positive', '--by', 'dana',
                       url=url_span)
        self.assertEqual(rel.returncode, 0, rel.stdout + rel.stderr)
        self.assertRegex(rel.stdout, r'gw +applied')
        self.assertRegex(rel.stdout, r'gwlive +not-quarantined')  # it held nothing
        self.assertTrue(wait_for(self.camera_reaches_gateway, 'the camera back'))
        self.assertNotIn(CAMERA, sh('nft', 'list', 'set', 'inet', 'mudguard', 'quarantine_mac',
                                    ns=GW).stdout)
        audit = self.ctl('audit', url=url_span).stdout
        self.assertIn('requested by dana: false positive', audit)
        self.assertIn('applied by gw', audit)


if __name__ == '__main__':
    unittest.main(verbosity=2)
