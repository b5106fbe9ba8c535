"""Fault: SIGHUP and SIGTERM during a busy live capture (issue 16).

In two network namespaces of the test's own joined by a veth pair (no route
out), a live sensor journals to a redis-server inside its namespace while
tcpreplay sends a Mirai infection and then a busy home at 20,000 packets a
second. The events file is rotated twice (renamed, then SIGHUP, as
logrotate's postrotate does), and SIGTERM comes while traffic still flows.
Checked: no event lost or written twice (the files against the journal, by
event_id), the final stats once and last, the quarantine once, kept in the
state file and not repeated by the next start."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

MUDGUARD = os.environ['MUDGUARD']
GEN = os.environ['MUDGUARD_GEN']

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'redis'))
from test_redis import Server  # noqa: E402


def root_and_tools():
    return os.geteuid() == 0 and all(shutil.which(t) for t in ('ip', 'tcpreplay', 'redis-server'))


@unittest.skipUnless(root_and_tools(), 'needs root, iproute2, tcpreplay and redis-server')
class LiveSignals(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-fault-sig-')
        self.addCleanup(shutil.rmtree, self.dir)
        subprocess.run([GEN, 'soak', self.dir, '2'], check=True, capture_output=True)
        self.a, self.b = 'mg-sig-a-%d' % os.getpid(), 'mg-sig-b-%d' % os.getpid()
        for ns in (self.a, self.b):  # removed even when the set-up fails half way
            self.addCleanup(subprocess.run, ['ip', 'netns', 'del', ns], capture_output=True)
        for cmd in (['ip', 'netns', 'add', self.a], ['ip', 'netns', 'add', self.b],
                    ['ip', 'link', 'add', 'mgsa0', 'netns', self.a, 'type', 'veth', 'peer',
                     'name', 'mgsb0', 'netns', self.b],
                    ['ip', '-n', self.a, 'link', 'set', 'mgsa0', 'up'],
                    ['ip', '-n', self.b, 'link', 'set', 'mgsb0', 'up'],
                    ['ip', '-n', self.b, 'link', 'set', 'lo', 'up']):
            subprocess.run(cmd, check=True)
        self.srv = Server(self.dir, netns=self.b)
        self.addCleanup(self.srv.stop)
        self.srv.start()
        self.conf = os.path.join(self.dir, 'c.conf')
        with open(self.conf, 'w') as f:
            # enforce mode with the dry-run backend: quarantines are decided
            # and recorded in the state file, nothing touches the kernel. A
            # day of a home sent at 20,000 packets a second is a flood of
            # DNS by every device: rates are off here, Mirai's signature is not
            f.write('[redis]\nsensor = faults\nspool = %(d)s/spool\n'
                    '[enforce]\nmode = enforce\nbackend = dry-run\n'
                    'state_file = %(d)s/enforce.state\n'
                    '[anomaly]\nstate_file = %(d)s/baselines.state\nflood_syn = 10000000\n'
                    'flood_udp = 10000000\nflood_icmp = 10000000\nflood_dns = 10000000\n'
                    % {'d': self.dir})
        self.events = os.path.join(self.dir, 'events.json')

    def sensor(self):
        return subprocess.Popen(['ip', 'netns', 'exec', self.b, MUDGUARD, '-i', 'mgsb0', '-c',
                                 self.conf, '-o', self.events, '--redis', self.srv.url(),
                                 '--stats-interval', '1'], stderr=subprocess.PIPE, text=True)

    def wait_capturing(self, p):
        for _ in range(100):
            if os.path.exists(self.events) or p.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.3)

    def replay(self, *args):
        return subprocess.Popen(['ip', 'netns', 'exec', self.a, 'tcpreplay', '-q', '-i', 'mgsa0',
                                 '--pps', '20000', *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def test_hup_and_term_during_busy_capture(self):
        p = self.sensor()
        self.wait_capturing(p)
        subprocess.run(['ip', 'netns', 'exec', self.a, 'tcpreplay', '-q', '-i', 'mgsa0',
                        '--pps', '20000', os.path.join(self.dir, 'attack-mirai.pcap')],
                       check=True, capture_output=True)
        busy = self.replay('--duration', '6', os.path.join(self.dir, 'test.pcap'))
        files = []
        for k in (1, 2):
            time.sleep(1.0)
            os.rename(self.events, '%s.%d' % (self.events, k))  # logrotate, then postrotate
            files.append('%s.%d' % (self.events, k))
            p.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        self.assertIsNone(busy.poll(), 'the traffic ended before SIGTERM')
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        took = time.time() - t0
        busy.wait()
        files.append(self.events)
        self.assertEqual(p.returncode, 0, err)

        per_file = []
        for f in files:
            with open(f) as fh:
                per_file.append(fh.read().splitlines())
        lines = [x for ls in per_file for x in ls]
        evs = [json.loads(x) for x in lines]
        stream = self.srv.events()
        ids = [e['event_id'] for e in evs]
        sids = [json.loads(x)['event_id'] for x in stream]
        lost = len(set(ids) - set(sids))
        dup = len(sids) - len(set(sids)) + len(ids) - len(set(ids))
        final = [e for e in evs if e['event_type'] == 'stats' and e['final']]
        reloads = [json.loads(x) for x in per_file[1] + per_file[2]
                   if json.loads(x)['event_type'] == 'reload']
        quar = [e for e in evs if e['event_type'] == 'quarantine']
        macs = {e['mac'] for e in quar}
        with open(os.path.join(self.dir, 'enforce.state')) as f:
            state = f.read()
        kept = [m for m in macs if 'q %s ' % m in state]
        print('\nSIGHUP x2 and SIGTERM during a live capture at 20,000 packets/s:')
        print('  events in the files %d, in the journal %d; lost %d, duplicated %d'
              % (len(ids), len(sids), lost, dup))
        print('  events per file %s; reload events %d; final stats %d'
              % ([len(x) for x in per_file], len(reloads), len(final)))
        print('  packets %d, kernel dropped %d; SIGTERM to exit %.2f s'
              % (final[0]['packets'], final[0]['capture']['kernel_dropped'], took))
        print('  quarantines %d of %d devices, %d kept in the state file; lost %d, doubled %d'
              % (len(quar), len(macs), len(kept), len(macs) - len(kept), len(quar) - len(macs)))
        print('  log: ' + '\n  log: '.join(x for x in err.splitlines() if 'reload' in x))
        self.assertEqual(lost, 0)
        self.assertEqual(dup, 0)
        self.assertEqual(sorted(stream), sorted(lines))
        self.assertTrue(all(per_file), [len(x) for x in per_file])
        self.assertEqual(len(reloads), 2)
        self.assertEqual(len(final), 1)
        self.assertIs(evs[-1 - sum(e['event_type'] == 'device_summary' for e in evs)], final[0])
        self.assertEqual(err.count('mudguard: reloaded:'), 2, err)
        self.assertLess(took, 5)
        self.assertEqual(len(quar), 1, quar)
        self.assertEqual(kept, list(macs))

        # the next start keeps the quarantine and does not quarantine again
        os.rename(self.events, self.events + '.3')
        p = self.sensor()
        self.wait_capturing(p)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        with open(self.events) as f:
            again = [json.loads(x) for x in f]
        print('  after a restart: %d quarantine events (0 expected), state file keeps %s'
              % (sum(e['event_type'] == 'quarantine' for e in again), sorted(macs)))
        self.assertFalse([e for e in again if e['event_type'] == 'quarantine'])
        with open(os.path.join(self.dir, 'enforce.state')) as f:
            self.assertIn('q %s ' % quar[0]['mac'], f.read())


    def test_quarantine_saved_before_a_crash(self):
        """SIGKILL after the quarantine: the state file has it (saved within
        a second of the change, not only at exit)."""
        p = self.sensor()
        self.wait_capturing(p)
        subprocess.run(['ip', 'netns', 'exec', self.a, 'tcpreplay', '-q', '-i', 'mgsa0',
                        '--pps', '20000', os.path.join(self.dir, 'attack-mirai.pcap')],
                       check=True, capture_output=True)
        time.sleep(2.5)  # packet time and the idle ticks move on; the save is due
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
        with open(self.events) as f:
            quar = [json.loads(x) for x in f if '"event_type":"quarantine"' in x]
        state = ''
        if os.path.exists(os.path.join(self.dir, 'enforce.state')):
            with open(os.path.join(self.dir, 'enforce.state')) as f:
                state = f.read()
        kept = [q['mac'] for q in quar if 'q %s ' % q['mac'] in state]
        print('\nSIGKILL 2.5 s after a quarantine: %d quarantined, %d in the state file'
              % (len(quar), len(kept)))
        self.assertEqual(len(quar), 1)
        self.assertEqual(kept, [quar[0]['mac']])


if __name__ == '__main__':
    unittest.main()
