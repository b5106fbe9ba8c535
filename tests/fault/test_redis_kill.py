"""Fault: Redis killed (SIGKILL) and restarted, again and again, while a
sensor replays a long capture into the journal and an enforcer applies the
verdict a second sensor publishes. Redis keeps an append-only file fsynced
at every write, so what it answered survives the kill; what it did not answer
is sent again from the spool and written once (the run's mark).

Checks: every event of each events file is in the stream once, in order
(events lost 0, duplicated 0); the camera is quarantined once by the
enforcer (quarantines lost 0, doubled 0); the log says once per outage that
Redis went and came back."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

CAMERA = '44:19:b6:10:00:95'


class RedisKilled(unittest.TestCase):
    def test_kill_and_restart(self):
        with fl.World('k') as w:
            r = w.redis()
            fl.sh(fl.GEN, 'soak', w.dir, '4')
            enf, enf_out = w.enforcer(r)
            conf, out = w.sensor('span')
            p = w.popen([fl.MUDGUARD, '-c', conf, '-r', w.path('test.pcap'), '--flows',
                         '--redis', r.url(), '-o', out])
            kills = 0
            t0 = time.time()
            while p.poll() is None and kills < 4 and time.time() - t0 < 120:
                time.sleep(0.3)
                if p.poll() is not None:
                    break
                r.kill()
                kills += 1
                time.sleep(0.4)
                r.start()
            self.assertGreater(kills, 0, 'the replay ended before the first kill')
            p.wait(timeout=300)
            err = p.stderr.read()
            self.assertEqual(p.returncode, 0, err)
            # the second sensor publishes the camera's verdict; Redis is killed
            # right after, before the enforcer may have acknowledged it
            conf2, out2 = w.sensor('span2')
            p2 = w.run([fl.MUDGUARD, '-c', conf2, '-r', os.path.join(fl.PCAPS, 'mirai.pcap'),
                        '--enforce', 'off', '--redis', r.url(), '-o', out2])
            self.assertEqual(p2.returncode, 0, p2.stderr)
            r.kill()
            time.sleep(0.5)
            r.start()
            kills += 1
            fl.wait_for(lambda: fl.quarantines(fl.read_events(enf_out), CAMERA),
                        'the enforcer to apply the verdict', timeout=30)
            time.sleep(2)  # a second copy would come within this
            enf_err = fl.stop(enf)

            lost, dup, disorder = fl.journal(r, out, out2, enf_out)
            qlost, doubled = fl.held(fl.read_events(enf_out), CAMERA)
            sensor = fl.read_events(out)
            fl.report('redis killed %d times' % kills, events=len(sensor), events_lost=lost,
                      duplicated=dup, out_of_order=disorder, quarantines_lost=qlost,
                      doubled=doubled)
            fl.log_lines(err, 'Redis', 'redis:')
            fl.log_lines(enf_err, 'Redis', 'redis:')
            self.assertGreater(len(sensor), 10000)
            self.assertEqual((lost, dup, disorder, qlost, doubled), (0,) * 5)
            self.assertIn(CAMERA, r.cli('HKEYS', 'mudguard:quarantines').stdout.split())
            outages = err.count('Redis unreachable')
            self.assertGreaterEqual(outages, 1, err)
            self.assertEqual(outages, err.count('Redis back'), err)
            self.assertFalse(os.path.exists(w.path('span.spool')))  # all of it sent


if __name__ == '__main__':
    fl.need_root('redis-server', 'redis-cli')
    unittest.main(verbosity=2)
