"""Shared helpers of the fault suite (tests/fault/, meson suite 'fault').

Every fault test runs as root in network namespaces it creates (and removes),
against Debian's redis-server in a temporary directory; nothing leaves the
namespaces. A test that cannot run (not root, a tool missing) exits 77, which
meson counts as skipped: call `need_root()` first.

    import faultlib as fl
    fl.need_root('redis-server', 'nft')
    with fl.World() as w:                 # namespaces soc (Redis) and gw, a veth between
        r = w.redis()                     # redis-server in soc, AOF fsync always
        p = w.popen([MUDGUARD, ...])      # a process in gw (stderr captured, text)
        w.drop()                          # packets to Redis vanish (a hang, not a refusal)
        w.undrop()
        evs = fl.read_events(path)        # the JSON lines written so far (complete ones)
        lost, dup = fl.lost_duplicated(evs, r.stream_events())
        fl.report('redis killed', events_lost=lost, duplicated=dup)

Counting: an event is identified by its `event_id` (SENSOR:RUN:SEQ); `lost`
are ids in the events file missing from the stream, `duplicated` the extra
copies of an id in the stream. Quarantines are counted per MAC: `lost` a MAC
that should be held and is not, `doubled` one with more than one
`quarantine` event applied for one verdict.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'redis'))
from test_redis import Server, free_port  # noqa: E402,F401

SKIP = 77  # meson: the test was skipped

MUDGUARD = os.environ.get('MUDGUARD', '')
CTL = os.environ.get('MUDGUARDCTL', '')
GEN = os.environ.get('MUDGUARD_GEN', '')
PCAPS = os.environ.get('MG_PCAPS', '')


def need_root(*tools):
    """Exits 77 (skipped) unless root with `ip` and each of @tools."""
    missing = [t for t in ('ip',) + tools if not shutil.which(t)]
    if os.geteuid() != 0 or missing:
        print('SKIP: needs root and %s' % ', '.join(('ip',) + tools))
        sys.exit(SKIP)
    probe = 'mgfprobe-%d' % os.getpid()
    if sh('ip', 'netns', 'add', probe, check=False).returncode:
        print('SKIP: cannot create network namespaces')
        sys.exit(SKIP)
    sh('ip', 'netns', 'del', probe, check=False)


def sh(*args, ns=None, check=True, timeout=60, input=None):
    """Runs a command (in namespace @ns), returns the CompletedProcess."""
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode:
        raise AssertionError('%s: %s%s' % (' '.join(cmd), p.stdout, p.stderr))
    return p


def wait_for(pred, what, timeout=15.0, step=0.1):
    """Calls @pred until it returns something true; fails after @timeout s."""
    end = time.time() + timeout
    while time.time() < end:
        got = pred()
        if got:
            return got
        time.sleep(step)
    raise AssertionError('timed out waiting for ' + what)


def slurp(path):
    """The text of file @path ("" if there is none)."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ''


def now_iso():
    """The wall clock as an event's timestamp."""
    return time.strftime('%Y-%m-%dT%H:%M:%S.000000Z', time.gmtime())


def read_events(path):
    """The events of a JSON-lines file (a line still being written is left out)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(x) for x in f.read().splitlines() if x.endswith('}')]


def lost_duplicated(expected, got):
    """(lost, duplicated) by event_id: @expected events (dicts) missing from
    @got, and the extra copies in @got."""
    ids = [e['event_id'] for e in got]
    have = set(ids)
    lost = sum(1 for e in expected if e['event_id'] not in have)
    return lost, len(ids) - len(have)


def journal(r, *paths):
    """Compares the events files @paths with Redis @r's stream, by event_id:
    (lost, duplicated, out of order), summed over the files (out of order:
    the files whose runs' events the stream holds in another order)."""
    runs = by_run(r.stream_events())
    lost = dup = disorder = 0
    for path in paths:
        mine = read_events(path)
        got = run_of(runs, mine)
        n_lost, n_dup = lost_duplicated(mine, got)
        lost, dup = lost + n_lost, dup + n_dup
        disorder += [e['event_id'] for e in got] != [e['event_id'] for e in mine]
    return lost, dup, disorder


def held(events, *macs):
    """(lost, doubled) of the quarantines of @macs that @events should show
    once each: a MAC with none applied is lost, each copy past one doubled."""
    n = [len(quarantines(events, m)) for m in macs]
    return sum(1 for x in n if not x), sum(max(0, x - 1) for x in n)


def by_run(events):
    """@events grouped by run ("SENSOR:RUN", the event_id without its number)."""
    runs = {}
    for e in events:
        runs.setdefault(e['event_id'].rsplit(':', 1)[0], []).append(e)
    return runs


def run_of(runs, events):
    """The events of @runs (by_run) that belong to the runs of @events."""
    keys = []
    for e in events:
        k = e['event_id'].rsplit(':', 1)[0]
        if k not in keys:
            keys.append(k)
    return [x for k in keys for x in runs.get(k, [])]


def spooled(path):
    """The number of events in the spool file @path (0 if there is none)."""
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


def quarantines(events, mac=None, applied=('applied', 'dry-run')):
    """The `quarantine` events (of @mac) whose outcome is in @applied."""
    return [e for e in events if e['event_type'] == 'quarantine' and
            (mac is None or e.get('mac') == mac) and e.get('applied') in applied]


def report(what, **counts):
    """Prints `WHAT: events lost 0, duplicated 0, ...` (underscores as spaces)."""
    print('%s: %s' % (what, ', '.join('%s %s' % (k.replace('_', ' '), v)
                                      for k, v in counts.items())), flush=True)


def log_lines(text, *needles):
    """Prints and returns the lines of @text holding one of @needles."""
    got = [x for x in text.splitlines() if any(n in x for n in needles)]
    for x in got:
        print('  log: ' + x, flush=True)
    return got


def stop(p, sig=signal.SIGTERM, timeout=20):
    """Stops @p (a Popen) with @sig, then SIGKILL; returns its stderr."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.stderr.read() if p.stderr else ''


class Redis(Server):
    """redis-server in namespace @ns, in directory @d, listening on @bind.
    With @persist, an append-only file fsynced at every write (what was
    answered survives a SIGKILL)."""

    def __init__(self, d, ns, bind, persist=True):
        super().__init__(d)
        self.ns, self.bind, self.persist = ns, bind, persist

    def start(self):
        args = ['ip', 'netns', 'exec', self.ns, 'redis-server', '--port', str(self.port),
                '--bind', self.bind, '--protected-mode', 'no', '--dir', self.dir, '--save', '']
        if self.persist:
            args += ['--appendonly', 'yes', '--appendfsync', 'always']
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_for(lambda: self.cli('PING', check=False).returncode == 0, 'redis-server')

    def cli(self, *args, check=True):
        return sh('redis-cli', '-h', self.bind, '-p', self.port, '--raw', *args, ns=self.ns,
                  check=check)

    def url(self):
        return 'redis://%s:%d' % (self.bind, self.port)

    def stream(self, key):
        """The entries of stream @key as (id, {field: value})."""
        out = self.cli('--json', 'XRANGE', key, '-', '+').stdout
        return [(i, dict(zip(f[::2], f[1::2]))) for i, f in json.loads(out or '[]')]

    def stream_events(self, key='mudguard:events'):
        """The `event` fields of stream @key, parsed; those that are not
        JSON (torn) are left out and counted in self.torn."""
        got, self.torn = [], 0
        for _, f in self.stream(key):
            try:
                got.append(json.loads(f.get('event', '')))
            except ValueError:
                self.torn += 1
        return got


class World:
    """Two namespaces, soc (Redis, 10.99.0.1) and gw (sensors and enforcers,
    10.99.0.2), joined by a veth pair; a temporary directory. Removed on exit."""
    SOC_IP, GW_IP = '10.99.0.1', '10.99.0.2'

    def __init__(self, tag=''):
        t = '%s%d' % (tag, os.getpid())
        self.soc, self.gw = 'mgfsoc-' + t, 'mgfgw-' + t
        self.dir = tempfile.mkdtemp(prefix='mg-fault-')
        self.procs, self.servers, self.mounts = [], [], []
        self.dropped = False

    def __enter__(self):
        for ns in (self.soc, self.gw):
            sh('ip', 'netns', 'add', ns)
            sh('ip', 'link', 'set', 'lo', 'up', ns=ns)
        sh('ip', 'link', 'add', 'soc0', 'netns', self.gw, 'type', 'veth', 'peer', 'name', 'gw0',
           'netns', self.soc)
        sh('ip', 'addr', 'add', self.GW_IP + '/24', 'dev', 'soc0', ns=self.gw)
        sh('ip', 'addr', 'add', self.SOC_IP + '/24', 'dev', 'gw0', ns=self.soc)
        sh('ip', 'link', 'set', 'soc0', 'up', ns=self.gw)
        sh('ip', 'link', 'set', 'gw0', 'up', ns=self.soc)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            stop(p)
            if p.stderr:
                p.stderr.close()
        for s in self.servers:
            s.stop()
        for m in reversed(self.mounts):
            sh('umount', '-l', m, check=False)
        for ns in (self.soc, self.gw):
            sh('ip', 'netns', 'del', ns, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    def redis(self, persist=True):
        """Starts redis-server in soc, reachable from gw at its url()."""
        d = self.path('redis')
        os.makedirs(d, exist_ok=True)
        r = Redis(d, self.soc, self.SOC_IP, persist)
        r.start()
        self.servers.append(r)
        return r

    def popen(self, cmd, ns=None):
        """Starts @cmd in gw (or @ns); stderr is piped (text)."""
        p = subprocess.Popen(['ip', 'netns', 'exec', ns or self.gw] + [str(c) for c in cmd],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def run(self, cmd, ns=None, timeout=300):
        return sh(*cmd, ns=ns or self.gw, check=False, timeout=timeout)

    def drop(self):
        """Packets between gw and soc vanish, both ways (dropped in soc): a
        connection to Redis hangs, a new one times out; nothing is refused."""
        rules = ('table inet mgfault {\n'
                 ' chain in { type filter hook input priority -10; ip saddr %s drop; }\n'
                 ' chain out { type filter hook output priority -10; ip daddr %s drop; }\n'
                 '}\n') % (self.GW_IP, self.GW_IP)
        sh('nft', '-f', '-', ns=self.soc, input=rules)
        self.dropped = True

    def undrop(self):
        sh('nft', 'delete table inet mgfault', ns=self.soc)
        self.dropped = False

    def tmpfs(self, name, size='64k'):
        """A tiny tmpfs mounted at the directory @name (created); returns its path."""
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        sh('mount', '-t', 'tmpfs', '-o', 'size=' + size, 'mgfault', d)
        self.mounts.append(d)
        return d

    def enforcer(self, r, name='gw', backend='dry-run', state=None, out=None):
        """Starts `mudguard --enforcer` NAME in gw on Redis @r (enforce mode,
        @backend: with nft, the inet family; its @state file and a spool in
        the directory), once its group has joined. Returns (Popen, its events
        file @out)."""
        conf = self.config(name + '.conf', '[enforce]\nmode = enforce\nbackend = %s\n'
                           'family = inet\nstate_file = %s\n[redis]\nsensor = %s\nspool = %s\n'
                           % (backend, state or self.path(name + '.state'), name,
                              self.path(name + '.spool')))
        out = out or self.path(name + '.jsonl')
        p = self.popen([MUDGUARD, '--enforcer', '-c', conf, '--redis', r.url(), '-o', out])
        wait_for(lambda: p.poll() is not None or
                 name in r.cli('XINFO', 'CONSUMERS', 'mudguard:verdicts', 'enforcer:' + name,
                               check=False).stdout.split(), 'enforcer ' + name + ' to join')
        if p.poll() is not None:
            raise AssertionError('enforcer %s: %s' % (name, p.stderr.read()))
        return p, out

    def sensor(self, name):
        """A sensor's configuration NAME (its spool in the directory): (its
        path, its events file's path)."""
        return (self.config(name + '.conf', '[redis]\nsensor = %s\nspool = %s\n'
                            % (name, self.path(name + '.spool'))), self.path(name + '.jsonl'))

    def publish(self, r, name='span', pcap='mirai.pcap'):
        """Replays @pcap (tests/pcaps) in gw as sensor @name without an
        enforcer of its own: its verdicts go to Redis @r for enforcers.
        Returns its events."""
        conf, out = self.sensor(name)
        p = self.run([MUDGUARD, '-c', conf, '-r', os.path.join(PCAPS, pcap), '--enforce', 'off',
                      '--redis', r.url(), '-o', out])
        if p.returncode:
            raise AssertionError('sensor %s: %s' % (name, p.stderr))
        return read_events(out)

    def nft_set(self, name='quarantine_mac'):
        """The elements of our table's set @name in gw, as `nft` lists it
        ("" if the table is not there)."""
        p = sh('nft', 'list', 'set', 'inet', 'mudguard', name, ns=self.gw, check=False)
        return p.stdout if p.returncode == 0 else ''

    def config(self, name, text):
        """Writes a configuration file @name; returns its path."""
        p = self.path(name)
        with open(p, 'w') as f:
            f.write(text)
        return p


def fill(d):
    """Fills the filesystem of directory @d; returns the filler's path."""
    p = os.path.join(d, 'filler')
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b'\0' * 4096)
    except OSError:
        pass
    os.close(fd)
    return p
