"""The daemon's files and signals, and --check-config (issue 16): event logs
are appended to, never truncated; SIGHUP opens the events file again
(logrotate) and reloads the live keys, rules, model and never list, with
devices, flows, baselines and quarantines kept; a run that fails at start
stamps its final stats with a real time, not 1970; --check-config loads and
parses what start-up does and names FILE:LINE for each problem."""
import calendar
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

MUDGUARD = os.environ['MUDGUARD']
PCAPS = os.environ['MG_PCAPS']
RULES = os.path.join(os.path.dirname(PCAPS), '..', 'rules', 'identify')


def pcap(name):
    return os.path.join(PCAPS, name + '.pcap')


def records(path):
    """The global header and each record (header and data) of a classic pcap."""
    with open(path, 'rb') as f:
        data = f.read()
    recs, off = [], 24
    while off + 16 <= len(data):
        incl = int.from_bytes(data[off + 8:off + 12], 'little')
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    return data[:24], recs


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


class Tmp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-daemon-')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), 'w') as f:
            f.write(text)
        return self.path(name)


class Files(Tmp):
    def test_events_file_is_appended_to(self):
        out = self.path('events.json')
        with open(out, 'w') as f:
            f.write('{"kept":"from before"}\n')
        subprocess.run([MUDGUARD, '-r', pcap('benign'), '-o', out], check=True)
        first = lines(out)
        self.assertEqual(first[0], '{"kept":"from before"}')
        subprocess.run([MUDGUARD, '-r', pcap('benign'), '-o', out], check=True)
        both = lines(out)
        self.assertEqual(both, first + first[1:])

    def test_failed_start_is_not_stamped_1970(self):
        start = time.time()
        cases = [('-i', 'mgnosuchif0'), ('-r', pcap('benign'), '-f', 'not a ( filter'),
                 ('-r', self.path('absent.pcap'))]
        for args in cases:
            p = subprocess.run([MUDGUARD, *args], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0, args)
            evs = [json.loads(x) for x in p.stdout.splitlines()]
            self.assertTrue(evs, args)
            for e in evs:
                self.assertFalse(e['timestamp'].startswith('1970'), (args, e))
                t = time.mktime(time.strptime(e['timestamp'][:19], '%Y-%m-%dT%H:%M:%S'))
                self.assertLess(abs(t - time.timezone - start), 120, (args, e['timestamp']))


class CheckConfig(Tmp):
    """Each problem --check-config finds is one start-up would meet, with the
    file and line that caused it; start-up fails on the same configuration."""

    CASES = [
        ('[enforce]\nnever = 999.1.1.1\n', 2, 'enforce.never: [enforce] never: "999.1.1.1"'),
        ('[output]\nevents = /nonexistent-dir/e.json\n', 2, 'output.events: /nonexistent-dir'),
        ('[identify]\nrules = /nonexistent.rules\n', 2, 'identify.rules: /nonexistent.rules'),
        ('[identify]\np0f_db = %(bad)s\n', 2, 'identify.p0f_db: %(bad)s'),
        ('[identify]\nfingerprints = %(bad)s\n', 2, 'identify.fingerprints: %(bad)s'),
        ('[mud]\ntrust_anchors = /nonexistent.pem\n', 2, 'mud.trust_anchors: /nonexistent.pem'),
        ('[mud]\nrules = %(badrules)s\n', 2, 'mud.rules: %(badrules)s'),
        ('[anomaly]\nbaseline = %(bad)s\n', 2, 'anomaly.baseline: %(bad)s'),
        ('[redis]\nurl = http://x\n', 2, 'redis.url: redis URL must start with redis://'),
    ]

    def test_each_problem_named_with_file_and_line(self):
        bad = self.write('junk', 'this is no database, model or baseline\n')
        os.makedirs(self.path('mudrules'))
        with open(self.path('mudrules/x.rules'), 'w') as f:
            f.write('bind nonsense\n')
        subst = {'bad': bad, 'badrules': self.path('mudrules')}
        for text, line, want in self.CASES:
            conf = self.write('c.conf', '# a comment\n' + text % subst)
            p = subprocess.run([MUDGUARD, '--check-config', '-c', conf], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 1, (text, p.stderr))
            self.assertIn('%s:%d: %s' % (conf, line + 1, want % subst), p.stderr)
            self.assertNotIn('is valid', p.stderr)
            # and start-up does fail on it
            s = subprocess.run([MUDGUARD, '-c', conf, '-r', pcap('benign')],
                               capture_output=True, text=True)
            self.assertNotEqual(s.returncode, 0, (text, s.stderr))

    def test_every_problem_of_a_file_at_once(self):
        conf = self.write('c.conf', '[enforce]\nnever = 999.1.1.1\n[identify]\n'
                          'rules = /nonexistent.rules\n[bogus]\nx = 1\n')
        p = subprocess.run([MUDGUARD, '--check-config', '-c', conf], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn(conf + ':2: enforce.never', p.stderr)
        self.assertIn(conf + ':4: identify.rules', p.stderr)
        self.assertIn('unknown section [bogus] (key "x"); sections are [capture], [flows], '
                      '[devices], [identify], [mud], [anomaly], [enforce], [redis], [output]',
                      p.stderr)

    def test_flag_is_named_as_such(self):
        p = subprocess.run([MUDGUARD, '--check-config', '--rules', '/nonexistent.rules'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn('command line: identify.rules: /nonexistent.rules', p.stderr)

    def test_bad_redis_url_at_start_names_the_line(self):
        conf = self.write('c.conf', '[redis]\n\nurl = redis://h:99999\n')
        p = subprocess.run([MUDGUARD, '-c', conf, '-r', pcap('benign')], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn(conf + ':3: redis.url: redis URL: bad port', p.stderr)

    def test_clean_configuration(self):
        conf = self.write('c.conf', '[output]\nevents = %s\n[anomaly]\nstate_file = %s\n' %
                          (self.path('e.json'), self.path('state')))
        p = subprocess.run([MUDGUARD, '--check-config', '-c', conf], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('is valid', p.stderr)
        self.assertFalse(os.path.exists(self.path('e.json')))  # nothing created


class Hup(Tmp):
    """SIGHUP while a capture is being read from a pipe: the sensor keeps
    going, with everything it knew."""

    def start(self, conf, out):
        self.p = subprocess.Popen([MUDGUARD, '-c', conf, '-r', '-', '-o', out],
                                  stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed_then_hup(self, name, conf, out, between=None, split=None):
        """Feeds the packets before @split (seconds since 1970; default: the
        first half), SIGHUP, then the rest."""
        head, recs = records(pcap(name))
        half = len(recs) // 2 if split is None else \
            [int.from_bytes(r[:4], 'little') >= split for r in recs].index(True)
        self.start(conf, out)
        self.p.stdin.write(head + b''.join(recs[:half]))
        self.p.stdin.flush()
        time.sleep(0.5)
        if between:
            between()
        self.p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        self.p.stdin.write(b''.join(recs[half:]))
        self.p.stdin.close()
        err = self.p.stderr.read().decode()
        self.p.stderr.close()
        self.assertEqual(self.p.wait(timeout=60), 0, err)
        return err

    def plain(self, name, conf):
        return subprocess.run([MUDGUARD, '-c', conf, '-r', pcap(name)], capture_output=True,
                              check=True).stdout.decode().splitlines()

    def test_logrotate_loses_and_repeats_nothing(self):
        out = self.path('events.json')
        conf = self.write('c.conf', '[output]\nflows = yes\n')
        err = self.feed_then_hup('mirai', conf, out,
                                 between=lambda: os.rename(out, out + '.1'))
        old, new = lines(out + '.1'), lines(out)
        self.assertTrue(old and new, err)
        reload = [x for x in new if json.loads(x)['event_type'] == 'reload']
        self.assertEqual(len(reload), 1, err)
        r = json.loads(reload[0])
        self.assertEqual(r['applied'], '')
        self.assertEqual(r['restart_needed'], '')
        self.assertIn('reloaded:', err)
        # devices, flows, baselines and the quarantine went on as if
        # nothing had happened: the same events, split over two files
        self.assertEqual(old + [x for x in new if x not in reload], self.plain('mirai', conf))

    def test_reload_applies_live_keys_and_names_the_others(self):
        out = self.path('events.json')
        os.makedirs(self.path('rules'))
        for f in os.listdir(RULES):
            shutil.copy(os.path.join(RULES, f), self.path('rules'))
        conf = self.write('c.conf', '[identify]\nrules = %s\n' % self.path('rules'))

        def change():
            with open(self.path('rules/99-test.rules'), 'w') as f:
                f.write('dhcp.vendor_class "hikvision*" model=Reloadmodel weight=0.9\n')
            self.write('c.conf', '[identify]\nrules = %s\n[enforce]\nnever = 192.168.1.10\n'
                       '[anomaly]\nflood_syn = 500\n[flows]\nmax = 2048\n' % self.path('rules'))
        # before the camera's Mirai scan (12:05)
        err = self.feed_then_hup('demo', conf, out, between=change,
                                 split=calendar.timegm((2025, 1, 1, 12, 4, 0)))
        evs = [json.loads(x) for x in lines(out)]
        r = [e for e in evs if e['event_type'] == 'reload']
        self.assertEqual(len(r), 1, err)
        self.assertEqual(r[0]['applied'], 'anomaly.flood_syn, enforce.never')
        self.assertEqual(r[0]['restart_needed'], 'flows.max')
        self.assertIn('need a restart to change: flows.max', err)
        after = evs[evs.index(r[0]):]
        cam = [e for e in after if e['event_type'] == 'identity' and
               e['mac'] == '44:19:b6:10:00:95']
        self.assertTrue(cam and cam[0]['model'] == 'Reloadmodel', cam)
        # the camera was known before and is not new after
        self.assertFalse([e for e in after if e['event_type'] == 'device' and
                          e['mac'] == '44:19:b6:10:00:95'])
        # the never list now protects it: its quarantine verdicts are suppressed
        q = [e for e in after if e['event_type'] == 'quarantine' and
             e['mac'] == '44:19:b6:10:00:95']
        self.assertTrue(q)
        for e in q:
            self.assertEqual(e['applied'], 'suppressed')
            self.assertEqual(e['suppressed_by'], 'never-quarantine list: 192.168.1.10')

    def test_reload_reads_mud_site_rules_and_repository_again(self):
        out = self.path('events.json')
        repo, site = self.path('repository'), self.path('site')
        shutil.copytree(os.path.join(RULES, '..', 'mud', 'repository'), repo)
        os.makedirs(site)
        with open(os.path.join(site, '10-site.rules'), 'w') as f:
            f.write('# none yet\n')
        conf = self.write('c.conf', '[mud]\nrepository = %s\nrules = %s\n' % (repo, site))
        cam = os.path.join(repo, 'mud.example.com', 'hikvision', 'ds-2cd.json')

        def change():
            with open(os.path.join(site, '10-site.rules'), 'w') as f:
                f.write('bind mac 00:0e:58:* https://mud.example.com/tplink/hs110.json\n')
            with open(cam) as f:
                mud = json.load(f)
            mud['ietf-mud:mud']['systeminfo'] = 'changed on disk'
            with open(cam, 'w') as f:
                json.dump(mud, f)
        err = self.feed_then_hup('demo', conf, out, between=change,
                                 split=calendar.timegm((2025, 1, 1, 12, 4, 0)))
        evs = [json.loads(x) for x in lines(out)]
        r = [e for e in evs if e['event_type'] == 'reload']
        self.assertEqual(len(r), 1, err)
        after = [e for e in evs[evs.index(r[0]):] if e['event_type'] == 'mud_binding']
        sonos = [e for e in after if e['mac'].startswith('00:0e:58')]
        self.assertTrue(sonos, after)
        self.assertTrue(sonos[0]['source'].startswith('rules 10-site.rules:1 '),
                        sonos[0])
        camera = [e for e in after if e['mac'] == '44:19:b6:10:00:95']
        self.assertTrue(camera, after)
        self.assertEqual(camera[0]['profile']['systeminfo'], 'changed on disk')

    def test_bad_configuration_changes_nothing(self):
        out = self.path('events.json')
        conf = self.write('c.conf', '[output]\nflows = no\n')
        err = self.feed_then_hup('benign', conf, out, between=lambda: self.write(
            'c.conf', '[output]\nflows = yes\n[identify]\nrules = /nonexistent.rules\n'))
        self.assertIn('identify.rules', err)
        self.assertIn('nothing changed', err)
        evs = [json.loads(x) for x in lines(out)]
        self.assertFalse([e for e in evs if e['event_type'] in ('reload', 'flow')])
        before = self.write('before.conf', '[output]\nflows = no\n')
        self.assertEqual(lines(out), self.plain('benign', before))


if __name__ == '__main__':
    unittest.main()
