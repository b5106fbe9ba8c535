"""Fault: Redis unreachable by a dropped route. Packets from the sensors'
namespace to Redis's vanish (an nftables drop in Redis's namespace): no
refusal, no reset, a connection in the middle of a transaction hangs and a
new one times out. For several seconds, then the packets flow again.

Checks: a replay under way goes on (it does not stall on the hung
connection) and every event reaches the stream once, in order (events lost
0, duplicated 0); an enforcer cut off the same way applies a verdict
published during the outage once it is back (quarantines lost 0, doubled
0); mudguardctl gives up within its timeout with a clear message instead of
hanging; the log says once that Redis went, once that it came back."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

CAMERA = '44:19:b6:10:00:95'
OTHER = '02:00:00:99:00:01'  # a device another sensor reports
OUTAGE_S = 8  # longer than the client's 5 s command timeout


class RedisHangs(unittest.TestCase):
    def test_dropped_route(self):
        with fl.World('h') as w:
            r = w.redis()
            fl.sh(fl.GEN, 'soak', w.dir, '4')
            enf, enf_out = w.enforcer(r)
            conf, out = w.sensor('span')
            t0 = time.time()
            p = w.popen([fl.MUDGUARD, '-c', conf, '-r', w.path('test.pcap'), '--flows',
                         '--redis', r.url(), '-o', out])
            time.sleep(0.3)
            self.assertIsNone(p.poll(), 'the replay ended before the outage')
            w.drop()
            t_drop = time.time()
            # a verdict from a sensor that still reaches Redis, at once: the
            # enforcer's blocked read may be handed it with the answer lost
            r.cli('XADD', 'mudguard:verdicts', '*', 'mac', OTHER, 'id', 'other:1:1', 'event',
                  json.dumps({'timestamp': fl.now_iso(), 'event_type': 'verdict', 'mac': OTHER,
                              'action': 'quarantine', 'reason': 'test', 'addresses': [],
                              'applied': 'published', 'event_id': 'other:1:1'}))
            # the replay is not held up by the hung connection: its events go
            # on to the events file (and the spool)
            p.wait(timeout=120)
            replay_s = time.time() - t0
            # mudguardctl, during the outage: a clear error, within its timeout
            t = time.time()
            ctl = w.run([fl.CTL, '--redis', r.url(), 'devices'], timeout=60)
            ctl_s = time.time() - t
            # a verdict published during the outage (spooled by its sensor)
            conf2, out2 = w.sensor('span2')
            p2 = w.popen([fl.MUDGUARD, '-c', conf2, '-r', os.path.join(fl.PCAPS, 'mirai.pcap'),
                          '--enforce', 'off', '--redis', r.url(), '-o', out2])
            time.sleep(max(0.0, OUTAGE_S - (time.time() - t_drop)))
            w.undrop()
            p2.wait(timeout=60)
            err, err2 = p.stderr.read(), p2.stderr.read()
            # what a sensor could not send before it ended (it waits 5 s) stays
            # in its spool, sent at its next start
            left = {}
            for name, c in (('span', conf), ('span2', conf2)):
                left[name] = fl.spooled(w.path(name + '.spool'))
                if left[name]:
                    p3 = w.run([fl.MUDGUARD, '-c', c, '-r', os.path.join(fl.PCAPS, 'benign.pcap'),
                                '--enforce', 'off', '--redis', r.url(), '-o',
                                w.path(name + '-next.jsonl')])
                    self.assertEqual(p3.returncode, 0, p3.stderr)
                    self.assertFalse(os.path.exists(w.path(name + '.spool')), p3.stderr)
            fl.wait_for(lambda: fl.quarantines(fl.read_events(enf_out), CAMERA),
                        'the enforcer to apply the verdict', timeout=40)
            fl.wait_for(lambda: fl.quarantines(fl.read_events(enf_out), OTHER),
                        'the enforcer to apply the verdict read as Redis went', timeout=20)
            time.sleep(2)
            enf_err = fl.stop(enf)

            lost, dup, disorder = fl.journal(r, out, out2, enf_out)
            qlost, doubled = fl.held(fl.read_events(enf_out), CAMERA, OTHER)
            sensor = fl.read_events(out)
            fl.report('redis unreachable %d s (dropped)' % OUTAGE_S, events=len(sensor),
                      events_lost=lost, duplicated=dup, out_of_order=disorder,
                      quarantines_lost=qlost, doubled=doubled)
            print('left in the spools at the end, sent at the next start: %s' % left)
            print('replay took %.1f s; mudguardctl gave up after %.1f s: %s'
                  % (replay_s, ctl_s, ctl.stderr.strip()))
            fl.log_lines(err, 'Redis', 'redis:')
            fl.log_lines(err2, 'Redis', 'redis:')
            fl.log_lines(enf_err, 'Redis', 'redis:')
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual(p2.returncode, 0, err2)
            self.assertNotEqual(ctl.returncode, 0)
            self.assertIn('Redis', ctl.stderr)
            self.assertLess(ctl_s, 15)
            self.assertGreater(len(sensor), 10000)
            self.assertEqual((lost, dup, disorder, qlost, doubled), (0,) * 5)
            self.assertEqual(err.count('Redis unreachable'), 1, err)
            self.assertEqual(enf_err.count('commands and verdicts wait'), 1, enf_err)
            self.assertEqual(enf_err.count('Redis back'), enf_err.count('Redis unreachable'),
                             enf_err)

    def test_short_outage_during_a_replay(self):
        """A drop a little longer than the client's timeout, in the middle of
        a replay that goes on after it: the transaction the writer gave up on
        must not reach Redis late (a retransmission of the abandoned
        connection) and be written after the spool's copy."""
        with fl.World('s') as w:
            r = w.redis()
            fl.sh(fl.GEN, 'soak', w.dir, '2')
            conf, out = w.sensor('span')
            p = w.popen([fl.MUDGUARD, '-c', conf] + ['-r', w.path('test.pcap')] * 24 +
                        ['--redis', r.url(), '-o', out])
            time.sleep(0.5)
            w.drop()
            time.sleep(6)
            w.undrop()
            self.assertIsNone(p.poll(), 'the replay ended during the outage')
            p.wait(timeout=300)
            err = p.stderr.read()
            time.sleep(15)  # what the abandoned connection would retransmit, arrives
            lost, dup, disorder = fl.journal(r, out)
            fl.report('redis unreachable 6 s during a replay', events=len(fl.read_events(out)),
                      events_lost=lost, duplicated=dup, out_of_order=disorder)
            fl.log_lines(err, 'Redis', 'redis:')
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual((lost, dup, disorder), (0, 0, 0))
            self.assertEqual(err.count('Redis unreachable'), 1, err)
            self.assertEqual(err.count('Redis back'), 1, err)


if __name__ == '__main__':
    fl.need_root('redis-server', 'redis-cli', 'nft')
    unittest.main(verbosity=2)
