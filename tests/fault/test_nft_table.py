"""Fault: the nftables table deleted (`nft delete table inet mudguard`)
under a running enforcer (nft backend, in a namespace) while a quarantine is
in force.

Checks: within a few seconds the enforcer sets the table up again with the
quarantine (the camera's MAC and address back in the sets, with what is left
of its TTL, not a new one), says so in its log and in an `enforcement` event
(`table_restored`), and applies nothing twice (quarantines lost 0, doubled
0); a release afterwards lifts it."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

CAMERA, CAMERA_IP = '44:19:b6:10:00:95', '192.168.1.10'


def expires_s(listing):
    """The seconds left of the first element's timeout in an `nft list set`."""
    m = re.search(r'expires (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?', listing)
    return int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60 + int(m.group(3) or 0)


class TableDeleted(unittest.TestCase):
    def test_table_deleted(self):
        with fl.World('t') as w:
            r = w.redis()
            enf, out = w.enforcer(r, backend='nft')
            w.publish(r)
            fl.wait_for(lambda: fl.quarantines(fl.read_events(out), CAMERA), 'the quarantine')
            self.assertIn(CAMERA, w.nft_set())
            time.sleep(2)  # some of the TTL goes by
            left_before = expires_s(w.nft_set())
            fl.sh('nft', 'delete', 'table', 'inet', 'mudguard', ns=w.gw)
            gone_at = time.time()
            self.assertEqual(w.nft_set(), '')
            fl.wait_for(lambda: CAMERA in w.nft_set(), 'the table set up again', timeout=10)
            took = time.time() - gone_at
            self.assertIn(CAMERA_IP, w.nft_set('quarantine_v4'))
            left_after = expires_s(w.nft_set())
            rel = fl.sh(fl.CTL, '--redis', r.url(), 'release', CAMERA, '--reason', 'test',
                        '--by', 'fault', ns=w.gw, check=False)
            lifted = fl.wait_for(lambda: CAMERA not in w.nft_set(), 'the release', timeout=10)
            err = fl.stop(enf)
            events = fl.read_events(out)
            restored = [e for e in events if e.get('action') == 'table_restored']
            q = fl.quarantines(events, CAMERA)
            fl.report('nftables table deleted', restored_after_s='%.1f' % took,
                      ttl_left_before=left_before, ttl_left_after=left_after,
                      quarantines_lost=0 if restored else 1, doubled=len(q) - 1)
            for e in restored:
                print('  event: %s %s' % (e['action'], e['detail']))
            fl.log_lines(err, 'table')
            self.assertEqual(len(restored), 1, restored)
            self.assertEqual(len(q), 1, q)
            self.assertLessEqual(left_after, left_before)  # not a fresh TTL
            self.assertEqual(rel.returncode, 0, rel.stdout + rel.stderr)
            self.assertTrue(lifted)
            self.assertIn('table', err)


if __name__ == '__main__':
    fl.need_root('redis-server', 'redis-cli', 'nft')
    unittest.main(verbosity=2)
