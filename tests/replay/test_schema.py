"""Every event validates against docs/events.schema.json: the events of every
bundled capture (with --flows, in each enforcement set-up: dry-run in enforce
mode, published verdicts with --enforce off, a TTL and circuit breaker that
give releases and circuit_open, a state file read back), of every dataset
capture (each dataset in one run, and a few files of each alone), of a
learned fingerprint model, of a SIGHUP reload, and, where redis-server is
installed, of a split deployment with an analyst's commands (event_id, pin,
unpin, command, command_request). Also: the validator rejects what it must
(tests/replay/schema.py checks a subset of JSON Schema by itself, since the
tests run on a bare python3)."""
import copy
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import schema  # noqa: E402

MUDGUARD = os.environ['MUDGUARD']
PCAPS = os.environ['MG_PCAPS']
DATASETS = os.environ.get('MG_DATASETS', '')
FINGERPRINT = os.environ.get('MUDGUARD_FINGERPRINT', '')
CTL = os.environ.get('MUDGUARDCTL', '')
SCHEMA = os.path.join(HERE, '..', '..', 'docs', 'events.schema.json')
ALL_TYPES = {'device', 'role', 'identity', 'mud_binding', 'mud_violation', 'anomaly', 'flow',
             'device_summary', 'stats', 'reload', 'quarantine', 'release', 'verdict', 'pin',
             'unpin', 'command', 'circuit_open', 'enforcement', 'command_request'}
SAMPLE_PER_DATASET = 4  # files of each dataset also replayed alone

with open(SCHEMA) as f:
    VALIDATOR = schema.Validator(json.load(f))

# every event type seen, and the tests that finished, over this file
SEEN = set()
RAN = set()


def pcaps():
    return sorted(glob.glob(os.path.join(PCAPS, '*.pcap')))


def run(*args, check=True):
    p = subprocess.run([MUDGUARD, *args], capture_output=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError('mudguard %s exited %d: %s' % (' '.join(args), p.returncode,
                                                           p.stderr.decode()))
    return p.stdout.decode().splitlines()


class Checks(unittest.TestCase):
    def assert_valid(self, lines, what):
        """Each line an event that the schema accepts; the first few errors
        named with the line."""
        bad = []
        for i, line in enumerate(lines):
            e = json.loads(line)
            SEEN.add(e.get('event_type'))
            for err in VALIDATOR.errors(e):
                bad.append('%s line %d (%s): %s' % (what, i + 1, e.get('event_type'), err))
        self.assertEqual(bad[:10], [], '%d errors' % len(bad))
        return [json.loads(x) for x in lines]

    def types(self, events):
        return {e['event_type'] for e in events}


class Validator(unittest.TestCase):
    """The validator fails what breaks the schema, with the place."""

    def setUp(self):
        self.device = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'device',
                       'mac': '44:19:b6:10:00:95', 'vendor': None, 'randomized_mac': False,
                       'ipv4': ['192.168.1.10'], 'ipv6': []}

    def errors(self, e):
        return VALIDATOR.errors(e)

    def test_valid(self):
        self.assertEqual(self.errors(self.device), [])

    def test_missing_required_field(self):
        e = copy.deepcopy(self.device)
        del e['randomized_mac']
        self.assertEqual(self.errors(e), ["$: required field 'randomized_mac' missing"])

    def test_wrong_type(self):
        e = copy.deepcopy(self.device)
        e['randomized_mac'] = 0  # not a boolean
        self.assertEqual(self.errors(e), ['$.randomized_mac: boolean expected, got number'])
        e = copy.deepcopy(self.device)
        e['ipv4'] = ['192.168.1.10', 7]
        self.assertEqual(self.errors(e), ['$.ipv4[1]: string expected, got number'])

    def test_unknown_event_type(self):
        e = copy.deepcopy(self.device)
        e['event_type'] = 'devices'
        errs = self.errors(e)
        self.assertEqual(len(errs), 1)
        self.assertTrue(errs[0].startswith("$.event_type: 'devices' is not one of"), errs)

    def test_unknown_field(self):
        e = copy.deepcopy(self.device)
        e['serial'] = 'x'
        self.assertEqual(self.errors(e), ["$: unknown field 'serial'"])

    def test_pattern_minimum_const_oneof(self):
        e = copy.deepcopy(self.device)
        e['mac'] = '44:19:B6:10:00:95'  # upper case
        self.assertEqual(len(self.errors(e)), 1)
        e['mac'] = '44:19:b6:10:00:95\n'  # $ is the end of the text
        self.assertEqual(len(self.errors(e)), 1)
        flow = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'flow', 'flow_id': -1,
                'src_ip': '10.0.0.1', 'dest_ip': '10.0.0.2', 'proto': 'ICMP',
                'app_proto': 'ICMP', 'flow': {
                    'pkts_toserver': 1, 'pkts_toclient': 0, 'bytes_toserver': 98,
                    'bytes_toclient': 0, 'start': '2025-01-01T12:00:00.000000Z',
                    'end': '2025-01-01T12:00:00.000000Z', 'age': 0, 'reason': 'timeout'}}
        self.assertEqual(self.errors(flow), ['$.flow_id: -1 is below the minimum 0'])
        flow['flow_id'] = 1
        flow['flow']['reason'] = 'bored'
        self.assertEqual(len(self.errors(flow)), 1)
        cmd = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'command',
               'command': '1-0', 'action': 'pin', 'by': 'a', 'reason': 'r', 'requested': '',
               'result': 'refused', 'answered_by': 'gw1'}
        self.assertEqual(self.errors(cmd), ['$: matches 0 of oneOf, not exactly one'])
        cmd['mac_given'] = 'x'
        self.assertEqual(self.errors(cmd), [])
        v = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'verdict',
             'mac': '44:19:b6:10:00:95', 'action': 'release', 'reason': 'r', 'addresses': [],
             'applied': 'published'}
        self.assertEqual(self.errors(v), ["$.action: 'quarantine' expected, got 'release'"])

    def test_anomaly_evidence_by_detector(self):
        a = {'timestamp': '2025-01-01T12:00:00.000000Z', 'event_type': 'anomaly',
             'mac': '44:19:b6:10:00:95', 'detector': 'dga', 'score': 0.5,
             'combined_score': 0.5, 'verdict': 'alert', 'why': 'w', 'episode': ['dga'],
             'evidence': {'query': 'x.example', 'domain': 'x.example', 'dga_score': 0.7}}
        self.assertEqual(self.errors(a), [])
        a['detector'] = 'rate'  # the evidence of a dga finding is not a rate's
        self.assertIn("$.evidence: required field 'metric' missing", self.errors(a))
        a['detector'] = 'dga'
        a['score'] = 1.5
        self.assertEqual(self.errors(a), ['$.score: 1.5 is above the maximum 1'])

    def test_refuses_what_it_cannot_check(self):
        with self.assertRaises(schema.SchemaError):
            schema.Validator({'type': 'string', 'format': 'email'})
        with self.assertRaises(schema.SchemaError):
            schema.Validator({'$ref': '#/$defs/nothing'})
        with self.assertRaises(schema.SchemaError):
            schema.Validator({'type': 'strin'})


class Bundled(Checks):
    """tests/pcaps/*.pcap, each alone, in the configurations the tests use."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mg-schema-')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def conf(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_every_capture(self):
        mud = self.conf('mud.conf', '[mud]\nquarantine = yes\n')
        seen = set()
        for f in pcaps():
            name = os.path.basename(f)
            # flows once: they are the same whatever enforces
            for args in (['--flows'], ['--enforce', 'off'], ['--mode', 'enforce'],
                         ['-c', mud, '--mode', 'enforce']):
                seen |= self.types(self.assert_valid(run('-r', f, *args), '%s %s' % (name, args)))
        self.assertGreaterEqual(seen, {'device', 'role', 'identity', 'mud_binding',
                                       'mud_violation', 'anomaly', 'flow', 'device_summary',
                                       'stats', 'quarantine', 'verdict'})
        RAN.add('bundled')

    def test_enforcement(self):
        """Quarantines that expire (release by ttl), a breaker that trips,
        a damaged state file read back by the next run."""
        state = os.path.join(self.dir, 'q.state')
        conf = self.conf('enf.conf', '[enforce]\nmode = enforce\nttl = 1\nper_minute = 1\n'
                         'state_file = %s\n[mud]\nquarantine = yes\n'
                         '[anomaly]\nstate_file = %s\n' % (state, os.path.join(self.dir, 'bl')))
        files = [os.path.join(PCAPS, n + '.pcap')
                 for n in ('demo', 'mirai', 'synflood', 'udpflood', 'c2', 'lateral')]
        first = self.assert_valid(run('-c', conf, '--flows', '-r', *files), 'first run')
        self.assertGreaterEqual(self.types(first), {'quarantine', 'release', 'circuit_open'})
        with open(state, 'a') as f:  # a line that does not read: an enforcement error event
            f.write('not a state line\n')
        again = self.assert_valid(run('-c', conf, '-r', *files[:2]), 'second run')
        self.assertIn('enforcement', self.types(again))
        RAN.add('enforcement')

    def test_reload(self):
        conf = self.conf('c.conf', '[output]\nflows = yes\n')
        out = os.path.join(self.dir, 'events.json')
        with open(os.path.join(PCAPS, 'mirai.pcap'), 'rb') as f:
            data = f.read()
        p = subprocess.Popen([MUDGUARD, '-c', conf, '-r', '-', '-o', out],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(data[:len(data) // 2])
        p.stdin.flush()
        time.sleep(0.5)
        p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        try:
            p.stdin.write(data[len(data) // 2:])
            p.stdin.close()
        except BrokenPipeError:
            pass
        err = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.wait(timeout=60), 0, err)
        with open(out) as f:
            evs = self.assert_valid(f.read().splitlines(), 'reload run')
        self.assertIn('reload', self.types(evs))
        RAN.add('reload')


@unittest.skipUnless(DATASETS and os.path.isdir(DATASETS), 'no ../shared/datasets')
class Datasets(Checks):
    """Every capture of each dataset in one run; a few of each alone."""

    def captures(self, d):
        out = []
        for root, _, names in os.walk(os.path.join(DATASETS, d)):
            out += [os.path.join(root, n) for n in names if n.endswith(('.pcap', '.pcapng'))]
        return sorted(out)

    def test_each_dataset(self):
        n = 0
        for d in sorted(os.listdir(DATASETS)):
            files = self.captures(d)
            if not files:
                continue
            self.assert_valid(run('--flows', '-r', *files, check=False), d)
            step = max(1, len(files) // SAMPLE_PER_DATASET)
            for f in files[::step][:SAMPLE_PER_DATASET]:
                self.assert_valid(run('--flows', '-r', f, check=False), f)
            n += len(files)
        self.assertGreater(n, 0)

    @unittest.skipUnless(FINGERPRINT, 'no mudguard-fingerprint')
    def test_fingerprints(self):
        labels = os.path.join(DATASETS, 'iot-sentinel', 'LABELS.tsv')
        if not os.path.exists(labels):
            self.skipTest('no iot-sentinel')
        d = tempfile.mkdtemp(prefix='mg-schema-')
        try:
            model = os.path.join(d, 'm.model')
            p = subprocess.run([FINGERPRINT, 'train', labels, '-o', model], capture_output=True,
                               timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            files = self.captures('iot-sentinel')[::40]
            evs = self.assert_valid(run('--fingerprints', model, '-r', *files), 'fingerprints')
            self.assertTrue(any('fingerprint' in e for e in evs if e['event_type'] == 'identity'))
        finally:
            shutil.rmtree(d)


def have_redis():
    return bool(CTL and shutil.which('redis-server') and shutil.which('redis-cli'))


@unittest.skipUnless(have_redis(), 'needs redis-server, redis-cli and mudguardctl')
class Redis(Checks):
    """A sensor publishing to Redis, an enforcer applying, an analyst's
    commands: what each writes, in its file and in the streams."""

    def setUp(self):
        sys.path.insert(0, os.path.join(HERE, '..', 'redis'))
        from test_commands import Split, read_events  # noqa: E402
        from test_redis import Server  # noqa: E402
        self.read_events = read_events
        self.split = Split()
        self.split.dir = self.dir = tempfile.mkdtemp(prefix='mg-schema-')
        self.split.srv = self.srv = Server(self.dir)
        self.split.procs = []
        self.split.assertIsNone = self.assertIsNone
        self.split.assertEqual = self.assertEqual
        self.srv.start()

    def tearDown(self):
        self.split.stop_all()
        self.srv.stop()
        shutil.rmtree(self.dir)

    def stream(self, key):
        out = self.srv.cli('XRANGE', key, '-', '+').stdout.splitlines()
        return [x for x in out if x.startswith('{')]

    def test_split_deployment_and_commands(self):
        from test_commands import CAMERA, wait_for  # noqa: E402
        s = self.split
        _, out = s.enforcer('gw1')
        verdicts = s.publish('span1')
        self.assertEqual(len(verdicts), 1)
        wait_for(lambda: s.quarantines(out, mac=CAMERA), 'the quarantine')
        for args in (['pin', CAMERA, '--reason', 'lab'], ['unpin', CAMERA, '--reason', 'done'],
                     ['release', CAMERA, '--reason', 'again']):
            p = s.ctl(*args, '--by', 'alice')
            self.assertIn(p.returncode, (0, 1), p.stderr)
        wait_for(lambda: s.idle('gw1'), 'gw1 to read everything')
        time.sleep(0.3)
        s.stop_all()
        with open(out) as f:
            evs = self.assert_valid(f.read().splitlines(), 'enforcer')
        self.assertGreaterEqual(self.types(evs), {'quarantine', 'pin', 'unpin', 'release',
                                                  'command'})
        self.assertTrue(all('event_id' in e for e in evs))
        with open(os.path.join(self.dir, 'span1.jsonl')) as f:
            self.assert_valid(f.read().splitlines(), 'sensor')
        self.assert_valid(self.stream('mudguard:events'), 'mudguard:events')
        audit = self.assert_valid(self.stream('mudguard:audit'), 'mudguard:audit')
        self.assertIn('command_request', self.types(audit))
        RAN.add('redis')


def tearDownModule():
    """When the runs that give every event type all ran, every type the
    schema declares was seen and validated."""
    declared = set(VALIDATOR.root['properties']['event_type']['enum'])
    if declared != ALL_TYPES:
        raise AssertionError('the schema declares %s' % sorted(declared ^ ALL_TYPES))
    if RAN >= {'bundled', 'enforcement', 'reload', 'redis'} and SEEN != ALL_TYPES:
        raise AssertionError('event types never seen: %s' % sorted(ALL_TYPES - SEEN))


if __name__ == '__main__':
    unittest.main(verbosity=2)
