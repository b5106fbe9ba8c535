"""Fault: the enforcer's state file is corrupt when it starts: truncated in
the middle of a line, overwritten with garbage, or written by another
version. The enforcer (nft backend, in a namespace) had quarantined the
camera before it stopped; the kernel's set still holds it.

Checks, truncated and garbage: the enforcer starts, names the file and the
first bad line in its log and in an `enforcement` event, keeps the file as
it was beside it (STATE.corrupt), adopts the quarantine the kernel holds
and writes a good state file again (quarantines lost 0, doubled 0: no new
`quarantine`). Another version: refused with a clear error, the file left
byte for byte as it was, the kernel's quarantine untouched."""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

CAMERA = '44:19:b6:10:00:95'


def truncate(text):
    at = text.index('q ' + CAMERA) + 12  # in the middle of the MAC
    return text[:at]


def garbage(text):
    return ''.join(chr(33 + (i * 7919) % 90) for i in range(300)) + '\n\x00\x01\n'


def newer(text):
    return text.replace('mudguard-quarantine 1', 'mudguard-quarantine 2', 1)


class CorruptState(unittest.TestCase):
    def run_case(self, name, damage):
        with fl.World('c') as w:
            r = w.redis()
            enf, out = w.enforcer(r, backend='nft')
            w.publish(r)
            fl.wait_for(lambda: fl.quarantines(fl.read_events(out), CAMERA), 'the quarantine')
            fl.stop(enf)
            state = w.path('gw.state')
            self.assertIn('q ' + CAMERA, fl.slurp(state))
            self.assertIn(CAMERA, w.nft_set())
            damaged = damage(fl.slurp(state))
            with open(state, 'w') as f:
                f.write(damaged)
            p = w.popen([fl.MUDGUARD, '--enforcer', '-c', w.path('gw.conf'), '--redis', r.url(),
                         '-o', w.path('gw2.jsonl')])
            try:
                fl.wait_for(lambda: p.poll() is not None or
                            (fl.slurp(state) != damaged and 'q ' + CAMERA in fl.slurp(state)),
                            'the enforcer to exit or to write its state again')
            except AssertionError:
                pass
            err = fl.stop(p, signal.SIGTERM)
            events = fl.read_events(w.path('gw2.jsonl'))
            held_kernel = CAMERA in w.nft_set()
            held_state = 'q ' + CAMERA in fl.slurp(state)
            again = fl.quarantines(events, CAMERA)
            notes = [e for e in events if e['event_type'] == 'enforcement']
            fl.report('state file %s' % name, exit_status=p.returncode,
                      quarantines_lost=int(not held_kernel), doubled=len(again),
                      state_holds_it=int(held_state))
            fl.log_lines(err, 'state', 'gw.state')
            for e in notes:
                print('  event: %s %s %s' % (e['action'], e.get('mac', ''), e['detail']))
            self.assertTrue(held_kernel)
            self.assertEqual(again, [])
            return p, err, notes, damaged, fl.slurp(state), fl.slurp(state + '.corrupt')

    def check_recovered(self, name, damage):
        p, err, notes, damaged, now, aside = self.run_case(name, damage)
        self.assertIn('gw.state:', err)
        self.assertIn('unreadable line', err)
        self.assertIn('gw.state.corrupt', err)
        self.assertEqual(aside, damaged)
        self.assertIn('q ' + CAMERA, now)
        self.assertTrue(now.startswith('mudguard-quarantine 1\n'))
        actions = [(e['action'], e.get('mac')) for e in notes]
        self.assertIn(('adopted', CAMERA), actions)
        self.assertTrue(any(e['action'] == 'error' and 'unreadable line' in e['detail']
                            for e in notes), notes)
        return err

    def test_truncated(self):
        err = self.check_recovered('truncated', truncate)
        self.assertIn('torn last line', err)

    def test_garbage(self):
        err = self.check_recovered('garbage', garbage)
        self.assertIn(':1: not a quarantine state line', err)

    def test_another_version(self):
        p, err, notes, damaged, now, aside = self.run_case('of another version', newer)
        self.assertEqual(p.returncode, 1, err)
        self.assertIn('written by another version of mudguard ("mudguard-quarantine 2"', err)
        self.assertEqual(now, damaged)  # left as it is
        self.assertEqual(aside, '')


if __name__ == '__main__':
    fl.need_root('redis-server', 'redis-cli', 'nft')
    unittest.main(verbosity=2)
