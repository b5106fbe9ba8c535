"""MUD retrieval over real TLS from 127.0.0.1: a test CA and server certificate made
with openssl, a Python HTTPS server in this process, curl steered to it with
[mud] connect_to. Signature policy both ways, Accept header, size limit, https-only
redirects, untrusted server certificates, and the cache-validity refresh."""
import http.server
import json
import os
import signal
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest

MUDGUARD = os.environ['MUDGUARD']
MUD = os.environ['MUDGUARD_MUD']
PCAPS = os.environ['MG_PCAPS']
VECTORS = os.path.join(os.environ['MG_DATASETS'], 'mud-vectors')
LUMINAIRE = 'CiscoDevNet__MUD-Manager__examples_luminaire_'
URL = 'https://luminaire.example.com/Luminaire_150'
HUB = 'd0:52:a8:10:04:d5'
HUB_URL = 'https://mud.example.com/smartthings/hub-v3.json'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        srv = self.server
        srv.log.append((self.path, self.headers.get('Accept')))
        time.sleep(srv.delay)
        if self.path in srv.redirects:
            self.send_response(302)
            self.send_header('Location', srv.redirects[self.path])
            self.end_headers()
            return
        body = srv.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def openssl(*args, cwd):
    subprocess.run(['openssl', *args], cwd=cwd, check=True, capture_output=True)


def shift_pcap(src, dst, seconds):
    """A copy of a classic pcap with every timestamp moved @seconds later."""
    data = bytearray(read(src))
    assert data[:4] == b'\xd4\xc3\xb2\xa1', 'little-endian microsecond pcap expected'
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from('<IIII', data, off)
        struct.pack_into('<I', data, off, sec + seconds)
        off += 16 + incl
    open(dst, 'wb').write(data)


@unittest.skipUnless(shutil.which('openssl'), 'openssl absent')
class Fetch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        t = cls.tmp
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out',
                'ca.pem', '-days', '2', '-subj', '/CN=mudguard test CA', cwd=t)
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr',
                '-subj', '/CN=luminaire.example.com', cwd=t)
        with open(os.path.join(t, 'ext.cnf'), 'w') as f:
            f.write('subjectAltName=DNS:luminaire.example.com,DNS:mud.example.com,'
                    'IP:127.0.0.1\n')
        openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
                '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf', cwd=t)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(t, 'srv.pem'), os.path.join(t, 'srv.key'))
        cls.srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        cls.srv.socket = ctx.wrap_socket(cls.srv.socket, server_side=True)
        cls.srv.files, cls.srv.redirects, cls.srv.log = {}, {}, []
        cls.srv.delay = 0
        cls.port = cls.srv.server_address[1]
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        rules = os.path.join(t, 'rules')
        os.makedirs(rules)
        with open(os.path.join(rules, 'site.rules'), 'w') as f:
            f.write('bind vendor "Philips Hue" %s\n' % URL)
        cls.rules = rules
        # an unsigned profile for the hub, learned from the capture
        cls.hub = os.path.join(t, 'hub.json')
        subprocess.run([MUD, 'learn', '-r', os.path.join(PCAPS, 'benign.pcap'), '--mac', HUB,
                        '-o', cls.hub], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.srv.files.clear()
        self.srv.redirects.clear()
        self.srv.log.clear()
        self.srv.delay = 0
        if os.path.isdir(VECTORS):
            self.srv.files['/Luminaire_150'] = read(
                os.path.join(VECTORS, LUMINAIRE + 'fs_Luminaire_150.json'))
            self.srv.files['/Luminaire_150.p7s'] = read(
                os.path.join(VECTORS, LUMINAIRE + 'fs_Luminaire_150.p7s'))

    def conf(self, extra='', ca=True):
        conf = os.path.join(self.tmp, 'mudguard.conf')
        with open(conf, 'w') as f:
            f.write('[mud]\nrepository = %s\nrules = %s\nfetch = yes\n'
                    'connect_to = luminaire.example.com:443:127.0.0.1:%d '
                    'mud.example.com:443:127.0.0.1:%d\n%s%s'
                    % (os.path.join(self.tmp, 'none'), self.rules, self.port, self.port,
                       'ca_file = %s\n' % os.path.join(self.tmp, 'ca.pem') if ca else '',
                       extra))
        return conf

    def bindings(self, conf, url, *pcaps):
        pcaps = pcaps or (os.path.join(PCAPS, 'benign.pcap'),)
        p = subprocess.run([MUDGUARD, '-c', conf, '-r', *pcaps, '-o', '-'], capture_output=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        ev = [json.loads(x) for x in p.stdout.decode().splitlines()]
        return [e for e in ev if e['event_type'] == 'mud_binding' and e['mud_url'] == url]

    def anchors(self, check_time):
        return ('trust_anchors = %s\ncheck_time = %s\n'
                % (os.path.join(VECTORS, LUMINAIRE + 'luminaire-cacert.pem'), check_time))

    @unittest.skipUnless(os.path.isdir(VECTORS), 'datasets absent')
    def test_signed_example_both_ways(self):
        b = self.bindings(self.conf(self.anchors('yes')), URL)
        self.assertEqual(len(b), 1)
        self.assertEqual(b[0]['status'], 'no_profile')
        self.assertEqual(b[0]['profile']['origin'], 'https')
        self.assertIn('certificate has expired', b[0]['reason'])
        self.assertIn(('/Luminaire_150', 'application/mud+json'), self.srv.log)
        b = self.bindings(self.conf(self.anchors('no')), URL)
        self.assertEqual(b[0]['status'], 'bound', b[0])
        self.assertEqual(b[0]['profile']['signature'],
                         'verified: /O=Demo Luminaire Manufacturer/CN=luminaire.example.com')
        self.assertEqual(b[0]['profile']['systeminfo'], 'MUD-enabled Luminaire')

    @unittest.skipUnless(os.path.isdir(VECTORS), 'datasets absent')
    def test_tampered_file_refused(self):
        body = self.srv.files['/Luminaire_150']
        self.srv.files['/Luminaire_150'] = body.replace(b'"cache-validity": 48',
                                                        b'"cache-validity": 47')
        self.assertNotEqual(body, self.srv.files['/Luminaire_150'])
        b = self.bindings(self.conf(self.anchors('no')), URL)
        self.assertEqual(b[0]['status'], 'no_profile')
        self.assertIn('bad signature', b[0]['reason'])

    def test_unsigned_policy_both_ways(self):
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        b = self.bindings(self.conf('require_signature = yes\n'), HUB_URL)
        self.assertEqual(b[0]['status'], 'no_profile')
        self.assertEqual(b[0]['reason'], 'no signature, and one is required')
        self.assertIn(('/smartthings/hub-v3.p7s', 'application/pkcs7-signature'), self.srv.log)
        b = self.bindings(self.conf('require_signature = no\n'), HUB_URL)
        self.assertEqual(b[0]['status'], 'bound')
        self.assertEqual(b[0]['profile']['signature'], 'absent')

    def test_limits(self):
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        b = self.bindings(self.conf('require_signature = no\nmax_bytes = 1024\n'), HUB_URL)
        self.assertIn('larger than 1024 bytes', b[0]['reason'])
        # a redirect to plain http is not followed
        self.srv.redirects['/smartthings/hub-v3.json'] = 'http://127.0.0.1:%d/x' % self.port
        b = self.bindings(self.conf('require_signature = no\n'), HUB_URL)
        self.assertEqual(b[0]['status'], 'no_profile')
        self.assertNotIn(('/x', 'application/mud+json'), self.srv.log)
        # an https redirect is, within max_redirects
        self.srv.redirects['/smartthings/hub-v3.json'] = '/moved.json'
        self.srv.files['/moved.json'] = self.srv.files['/smartthings/hub-v3.json']
        b = self.bindings(self.conf('require_signature = no\n'), HUB_URL)
        self.assertEqual(b[0]['status'], 'bound', b[0])
        b = self.bindings(self.conf('require_signature = no\nmax_redirects = 0\n'), HUB_URL)
        self.assertEqual(b[0]['status'], 'no_profile')

    def test_untrusted_server(self):
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        b = self.bindings(self.conf('require_signature = no\n', ca=False), HUB_URL)
        self.assertEqual(b[0]['status'], 'no_profile')
        self.assertIn('certificate', b[0]['reason'].lower())

    def test_replay_waits_for_a_slow_server(self):
        """Replay retrieves at the binding packet, as before live retrieval went
        off the packet thread: bound at once, never pending, the same bytes twice."""
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        self.srv.delay = 0.5
        conf = self.conf('require_signature = no\n')
        out = [subprocess.run([MUDGUARD, '-c', conf, '-r', os.path.join(PCAPS, 'c2.pcap'),
                               '-o', '-'], capture_output=True, timeout=300).stdout
               for _ in range(2)]
        self.assertEqual(out[0], out[1])
        ev = [json.loads(x) for x in out[0].decode().splitlines()]
        b = [e for e in ev if e['event_type'] == 'mud_binding' and e['mud_url'] == HUB_URL]
        self.assertEqual([e['status'] for e in b], ['bound'])
        self.assertNotIn('flows_checked_late', b[0])
        v = [e for e in ev if e['event_type'] == 'mud_violation' and e['mac'] == HUB]
        self.assertEqual([e['dest_port'] for e in v], [6667])
        self.assertNotIn('checked_late', v[0])
        final = [e for e in ev if e['event_type'] == 'stats' and e['final']][0]
        self.assertNotIn('retrievals', final['mud'])

    def test_sigterm_during_a_replay_fetch(self):
        """SIGTERM while a replay waits on a stalled server: the transfer is
        given up within about a second, not after fetch_timeout (10 s)."""
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        self.srv.delay = 8
        p = subprocess.Popen([MUDGUARD, '-c', self.conf('require_signature = no\n'), '-r',
                              os.path.join(PCAPS, 'c2.pcap'), '-o', '-'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(100):  # until the sensor is waiting on the server
            if any(x == '/smartthings/hub-v3.json' for x, _ in self.srv.log):
                break
            time.sleep(0.05)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        took = time.time() - t0
        self.srv.delay = 0
        self.assertLess(took, 3, took)
        ev = [json.loads(x) for x in out.decode().splitlines()]
        self.assertEqual(len([e for e in ev if e['event_type'] == 'stats' and e['final']]), 1)

    def test_cache_validity(self):
        """One fetch for the day; after 49 hours (cache-validity 48) a new one,
        which finds the same file: no news, so one binding event."""
        self.srv.files['/smartthings/hub-v3.json'] = read(self.hub)
        later = os.path.join(self.tmp, 'later.pcap')
        shift_pcap(os.path.join(PCAPS, 'benign.pcap'), later, 49 * 3600)
        b = self.bindings(self.conf('require_signature = no\n'), HUB_URL,
                          os.path.join(PCAPS, 'benign.pcap'), later)
        self.assertEqual(len(b), 1, b)
        fetches = [p for p, _ in self.srv.log if p == '/smartthings/hub-v3.json']
        self.assertEqual(len(fetches), 2, self.srv.log)


if __name__ == '__main__':
    unittest.main(verbosity=2)
