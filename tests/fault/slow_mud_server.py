"""A MUD server that stalls: HTTPS on ADDRESS:PORT with CERT and KEY, serving the
files under ROOT (404 otherwise); a GET for a .json file waits STALL seconds
before it is answered. Every request is logged to LOG as "ARRIVED|ANSWERED
SECONDS PATH" (time.monotonic), flushed at once. Run by test_slow_mud.py in
the server's network namespace.

usage: slow_mud_server.py CERT KEY ADDRESS PORT ROOT STALL LOG"""
import http.server
import os
import ssl
import sys
import threading
import time

CERT, KEY, ADDRESS, PORT, ROOT, STALL, LOG = sys.argv[1:8]
lock = threading.Lock()
log = open(LOG, 'a', buffering=1)


def note(what, path):
    with lock:
        log.write('%s %.3f %s\n' % (what, time.monotonic(), path))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        note('ARRIVED', self.path)
        if self.path.endswith('.json'):
            time.sleep(float(STALL))
        path = os.path.normpath(os.path.join(ROOT, self.path.lstrip('/')))
        body = None
        if path.startswith(ROOT + os.sep) and os.path.isfile(path):
            with open(path, 'rb') as f:
                body = f.read()
        try:
            if body is None:
                self.send_response(404)
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        except OSError:  # the client gave up (a sensor that stopped)
            pass
        note('ANSWERED', self.path)

    def log_message(self, *a):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = http.server.ThreadingHTTPServer((ADDRESS, int(PORT)), Handler)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
note('LISTENING', '-')
srv.serve_forever()
