"""Fault: the filesystem of the spool and of the enforcer's state file is full
(a 64 KiB tmpfs each).

The spool: Redis is away while a sensor replays a long capture, so its
events go to the spool until the filesystem is full. Checks: the spool holds
whole lines only, and every event is either sent once Redis is back or
counted as dropped in the log (events lost uncounted 0, duplicated 0); the
log says once that the spool cannot be written.

The state file: an enforcer applies a verdict while its state file cannot be
written. Checks: the old state file is left whole, the failure is reported
once, and once there is room again the state is written without waiting for
another change, so a crash after that keeps the quarantine (quarantines lost
0, doubled 0)."""
import json
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

CAMERA = '44:19:b6:10:00:95'


def spool_lines(path):
    """The spool's lines, and how many of them are not whole events."""
    if not os.path.exists(path):
        return [], 0
    with open(path, 'rb') as f:
        data = f.read()
    lines = data.split(b'\n')
    bad = int(lines[-1] != b'')  # the last line has no newline
    whole = []
    for x in lines[:-1]:
        parts = x.split(b'\t', 6)  # run, seq, chain, id, type, mac, json
        try:
            json.loads(parts[6])
            whole.append(x)
        except (IndexError, ValueError):
            bad += 1
    return whole, bad


class DiskFull(unittest.TestCase):
    def test_spool_full(self):
        with fl.World('d') as w:
            d = w.tmpfs('spool', '64k')
            r = w.redis()
            r.stop()  # away while the sensor runs
            fl.sh(fl.GEN, 'soak', w.dir, '2')
            conf = w.config('span.conf', '[redis]\nsensor = span\nspool = %s/span.spool\n' % d)
            out = w.path('span.jsonl')
            p = w.run([fl.MUDGUARD, '-c', conf, '-r', w.path('test.pcap'), '--flows', '--redis',
                       r.url(), '-o', out])
            self.assertEqual(p.returncode, 0, p.stderr)
            whole, torn = spool_lines(os.path.join(d, 'span.spool'))
            m = re.search(r'(\d+) spooled, (\d+) dropped from the spool', p.stderr)
            self.assertTrue(m, p.stderr)
            spooled, dropped = int(m.group(1)), int(m.group(2))
            # Redis is back: the next start sends the spool first
            r.start()
            p2 = w.run([fl.MUDGUARD, '-c', conf, '-r', os.path.join(fl.PCAPS, 'benign.pcap'),
                        '--redis', r.url(), '-o', w.path('next.jsonl')])
            self.assertEqual(p2.returncode, 0, p2.stderr)
            events = fl.read_events(out)
            got = fl.run_of(fl.by_run(r.stream_events()), events)
            lost, dup = fl.lost_duplicated(events, got)
            uncounted = lost - dropped
            torn += r.torn  # in the stream, from the spool
            fl.report('spool filesystem full', events=len(events), spooled=spooled,
                      kept_in_spool=len(whole), torn_lines=torn, dropped_counted=dropped,
                      events_lost_uncounted=uncounted, duplicated=dup)
            fl.log_lines(p.stderr, 'spool', 'redis:')
            self.assertGreater(len(events), 10000)
            self.assertEqual(torn, 0)
            self.assertEqual(len(whole), len(got))  # what the spool kept was sent
            self.assertEqual((uncounted, dup), (0, 0))
            self.assertEqual(spooled, len(whole))
            self.assertEqual(p.stderr.count('cannot write the spool'), 1, p.stderr)
            self.assertIn('No space left on device', p.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, 'span.spool')))

    def test_state_file_full(self):
        with fl.World('e') as w:
            d = w.tmpfs('state', '64k')
            r = w.redis()
            state = os.path.join(d, 'gw.state')
            with open(state, 'w') as f:
                f.write('mudguard-quarantine 1\no 02:00:00:00:00:01 1\n')
            before = fl.slurp(state)
            enf, enf_out = w.enforcer(r, state=state)
            filler = fl.fill(d)
            time.sleep(1)
            sconf, sout = w.sensor('span')
            p = w.run([fl.MUDGUARD, '-c', sconf, '-r', os.path.join(fl.PCAPS, 'mirai.pcap'),
                       '--enforce', 'off', '--redis', r.url(), '-o', sout])
            self.assertEqual(p.returncode, 0, p.stderr)
            fl.wait_for(lambda: fl.quarantines(fl.read_events(enf_out), CAMERA), 'the quarantine')
            time.sleep(2)
            kept = fl.slurp(state)
            errors = [e for e in fl.read_events(enf_out) if e.get('action') == 'error']
            os.remove(filler)  # room again
            fl.wait_for(lambda: 'q ' + CAMERA in fl.slurp(state),
                        'the state written once there is room', timeout=10)
            enf.send_signal(signal.SIGKILL)  # a crash: nothing saved at exit
            enf.wait()
            enf_err = enf.stderr.read()
            enf, _ = w.enforcer(r, state=state, out=w.path('gw2.jsonl'))
            p = w.run([fl.MUDGUARD, '-c', sconf, '-r', os.path.join(fl.PCAPS, 'mirai.pcap'),
                       '--enforce', 'off', '--redis', r.url(), '-o', w.path('span2.jsonl')])
            time.sleep(2)
            enf_err += fl.stop(enf)
            after = fl.read_events(w.path('gw2.jsonl'))
            held = 'q ' + CAMERA in fl.slurp(state)
            again = fl.quarantines(after, CAMERA)
            fl.report('state file filesystem full', state_kept_whole=int(kept == before),
                      errors_reported=len(errors), quarantines_lost=int(not held),
                      doubled=len(again))
            for e in errors:
                print('  event: ' + e['detail'])
            fl.log_lines(enf_err, 'state')
            self.assertEqual(kept, before)
            self.assertEqual(len(errors), 1, errors)
            self.assertIn('No space left on device', errors[0]['detail'])
            self.assertTrue(held)
            self.assertEqual(again, [])  # already held: not applied twice


if __name__ == '__main__':
    fl.need_root('redis-server', 'redis-cli', 'mount')
    unittest.main(verbosity=2)
