"""Link types: the generator's 'links' scenario written as every link type
mudguard-gen knows (tests/pcaps/links-*.pcap: 802.11 bare, under radiotap and
PPI, NFLOG, PPP, PPPoE, switch tags) must show the network of the Ethernet
capture: the same devices, gateway, addresses, identities and flows. What a
link carries of its own (beacons, encrypted frames, LCP) is counted per reason,
never decoded into packets nor called malformed."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pcaputil  # noqa: E402

MUDGUARD = os.environ['MUDGUARD']
GEN = os.environ['MUDGUARD_GEN']
PCAPS = os.environ['MG_PCAPS']
GATEWAY = '50:c7:bf:00:00:01'
BSSID = '02:a0:00:00:00:0a'
# libpcap's DLT numbers of the committed captures
DLTS = {'80211': 105, 'radiotap': 127, 'ppi': 192, 'nflog': 239, 'ppp': 9, 'pppoe': 51,
        'dsa': 284, 'edsa': 285, 'brcm': 281, 'brcm-prepend': 282}
MACS = ('80211', 'radiotap', 'ppi', 'dsa', 'edsa', 'brcm', 'brcm-prepend')


def pcap(name):
    return os.path.join(PCAPS, name + '.pcap')


def events(*args):
    p = subprocess.run([MUDGUARD, *args], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError('mudguard %s: %d: %s' % (args, p.returncode, p.stderr.decode()))
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def final_stats(evs):
    return [e for e in evs if e['event_type'] == 'stats' and e['final']][0]


def comparable(evs):
    """Every event but the stats, with the byte counts (which include each
    link's own headers) left out of the device summaries."""
    out = []
    for e in evs:
        if e['event_type'] == 'stats':
            continue
        if e['event_type'] == 'device_summary':
            e = dict(e)
            for k in ('bytes_in', 'bytes_out', 'baseline'):
                e.pop(k, None)
        if e['event_type'] == 'flow':
            e = dict(e)
            e['flow'] = {k: v for k, v in e['flow'].items() if not k.startswith('bytes')}
        out.append(e)
    return out


def summaries(evs):
    return {e['mac']: e for e in evs if e['event_type'] == 'device_summary'}


class Links(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.eth = events('-r', pcap('links'), '--flows')
        cls.eth_frames = pcaputil.read_pcap(pcap('links'))[1]

    def run_link(self, name):
        lt, frames = pcaputil.read_pcap(pcap('links-' + name))
        self.assertEqual(lt, DLTS[name])
        evs = events('-r', pcap('links-' + name), '--flows')
        st = final_stats(evs)
        self.assertEqual(st['packets'], len(frames))
        self.assertEqual(st['decode_anomalies'], {}, name)
        return evs, st

    def test_same_network_with_macs(self):
        """802.11 (every address layout), radiotap with its FCS, PPI, and
        the switch tags: event for event what Ethernet shows."""
        want = comparable(self.eth)
        self.assertGreater(len([e for e in want if e['event_type'] == 'identity']), 5)
        self.assertGreater(len([e for e in want if e['event_type'] == 'flow']), 50)
        for name in MACS:
            with self.subTest(link=name):
                evs, st = self.run_link(name)
                self.assertEqual(comparable(evs), want)
                self.assertNotIn(BSSID, summaries(evs))
                self.assertEqual(st['flows']['created'], final_stats(self.eth)['flows']['created'])

    def test_wifi_frames_without_ip_are_counted(self):
        # the generator adds, every 100th frame, a beacon, an ACK, a QoS null
        # and an encrypted frame, and under radiotap a copy with a bad FCS
        n = len(self.eth_frames) // 100
        self.assertGreater(n, 2)
        for name in ('80211', 'radiotap', 'ppi'):
            with self.subTest(link=name):
                _, st = self.run_link(name)
                want = {'wifi_management': n, 'wifi_control': n, 'wifi_null_data': n,
                        'wifi_protected': n}
                if name == 'radiotap':
                    want['wifi_bad_fcs'] = n
                self.assertEqual(st['link_skipped'], want)
                self.assertEqual(st['non_ip'], final_stats(self.eth)['non_ip'] + sum(want.values()))
        for name in MACS[3:]:
            self.assertEqual(self.run_link(name)[1]['link_skipped'], {})

    def test_gateway_behind_access_point_from_remote_addresses(self):
        """Without DHCP, the gateway is the MAC that remote addresses sit
        behind: on Wi-Fi the sender (SA) of what the access point relays,
        the router, not the access point's BSSID."""
        flt = ['-f', 'not port 67 and not port 68']
        for name in ('links', 'links-radiotap', 'links-80211'):
            with self.subTest(capture=name):
                evs = events('-r', pcap(name), *flt)
                roles = [e for e in evs if e['event_type'] == 'role']
                self.assertEqual([(r['mac'], r['reasons']) for r in roles],
                                 [(GATEWAY, ['remote_addresses_behind_mac'])])

    def test_nflog(self):
        """The router's nflog: what it forwards from the LAN has the sender's
        hardware header, what it sends itself has none (decoded as raw IP)."""
        evs, st = self.run_link('nflog')
        self.assertEqual(st['link_skipped'], {})
        eth = summaries(self.eth)
        got = summaries(evs)
        self.assertEqual(set(got), set(eth))  # the router itself from its ARP payloads
        for mac, d in eth.items():
            if mac == GATEWAY:
                continue
            g = got[mac]
            for k in ('vendor', 'addresses', 'identity', 'pkts_out', 'flows_out'):
                self.assertEqual(g[k], d[k], (mac, k))
            # the router's DHCP replies (a flow of their own) have no MAC
            self.assertEqual(set(g['protocols']) - {'DHCP'}, set(d['protocols']) - {'DHCP'},
                             mac)
        self.assertEqual(got[GATEWAY]['pkts_out'], 0)  # its own packets carry no MAC
        flows = [e for e in evs if e['event_type'] == 'flow']
        self.assertEqual(len(flows), final_stats(self.eth)['flows']['created'])

    def test_ppp(self):
        """PPP and PPPoE carry IP alone: devices are known from DHCP payloads,
        flows are all there, LCP is counted."""
        n = len(self.eth_frames) // 100
        eth_flows = [e for e in self.eth if e['event_type'] == 'flow']
        for name in ('ppp', 'pppoe'):
            with self.subTest(link=name):
                evs, st = self.run_link(name)
                self.assertEqual(st['link_skipped'], {'ppp_other_protocol': n})
                devs = summaries(evs)
                self.assertEqual(len(devs), 9)
                self.assertTrue(all(d['pkts_out'] == 0 for d in devs.values()))
                flows = [e for e in evs if e['event_type'] == 'flow']
                key = [(f['src_ip'], f['dest_ip'], f.get('dest_port'), f['app_proto'])
                       for f in flows]
                self.assertEqual(key, [(f['src_ip'], f['dest_ip'], f.get('dest_port'),
                                        f['app_proto']) for f in eth_flows])

    def test_generator_writes_every_link_deterministically(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'x.pcap')
            subprocess.run([GEN, '-l', 'radiotap', 'links', out], check=True,
                           capture_output=True)
            with open(out, 'rb') as a, open(pcap('links-radiotap'), 'rb') as b:
                self.assertEqual(a.read(), b.read())
            p = subprocess.run([GEN, '-l', 'token-ring', 'links', out], capture_output=True)
            self.assertEqual(p.returncode, 2)
            self.assertIn('token-ring', p.stderr.decode())


class Pcapng(unittest.TestCase):
    """pcapng files whose interfaces differ, which libpcap 1.10 refuses at
    the second interface ("an interface has a snapshot length ... different
    from the snapshot length of the first interface"), read by our reader."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.link, self.frames = pcaputil.read_pcap(pcap('demo'))
        self.want = subprocess.run([MUDGUARD, '-r', pcap('demo'), '--flows'],
                                   capture_output=True, check=True).stdout

    def tearDown(self):
        self.tmp.cleanup()

    def split(self, name, big):
        """demo.pcap's frames on two interfaces taking turns: snaplen 262144
        in microseconds and 65535 in nanoseconds."""
        path = os.path.join(self.tmp.name, name)
        frames = [(n % 2, s, u, b) for n, (s, u, b) in enumerate(self.frames)]
        pcaputil.write_pcapng_ifaces(path, [(1, 262144, None), (1, 65535, 9)], frames, big)
        return path

    def test_different_snaplens_both_byte_orders(self):
        for big in (False, True):
            with self.subTest(big_endian=big):
                path = self.split('two.pcapng', big)
                tcpdump = subprocess.run(['tcpdump', '-r', path, '-c', '1'],
                                         capture_output=True)
                if tcpdump.returncode != 127:  # libpcap refuses it: the case
                    self.assertIn(b'different from the snapshot length', tcpdump.stderr)
                p = subprocess.run([MUDGUARD, '-r', path, '--flows'], capture_output=True)
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                self.assertEqual(p.stdout, self.want)

    def test_after_packets_with_a_filter(self):
        """The second interface after some packets: libpcap has returned
        those, the reader goes on from there, with the filter."""
        path = os.path.join(self.tmp.name, 'late.pcapng')
        head, tail = self.frames[:100], self.frames[100:]
        pcaputil.write_pcapng_ifaces(path, [(1, 262144, None)],
                                     [(0, s, u, b) for s, u, b in head])
        second = os.path.join(self.tmp.name, 'tail.pcapng')
        pcaputil.write_pcapng_ifaces(second, [(1, 262144, None), (1, 1600, 9)],
                                     [(1, s, u, b) for s, u, b in tail])
        with open(second, 'rb') as f:
            rest = f.read()
        # the second file's section header off, its interfaces described
        # after the first file's packets (one section)
        shb_len = struct.unpack('<I', rest[4:8])[0]
        idb0_len = struct.unpack('<I', rest[shb_len + 4:shb_len + 8])[0]
        with open(path, 'ab') as f:
            f.write(rest[shb_len + idb0_len:])
        flt = ['-f', 'tcp or udp']
        want = subprocess.run([MUDGUARD, '-r', pcap('demo'), *flt], capture_output=True,
                              check=True).stdout
        p = subprocess.run([MUDGUARD, '-r', path, *flt], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout, want)

    def test_bad_block_named_with_offset(self):
        path = self.split('bad.pcapng', False)
        with open(path, 'rb') as f:
            data = bytearray(f.read())
        # the first packet block's interface id out of range
        off = 0
        while struct.unpack('<I', data[off:off + 4])[0] != 6:
            off += struct.unpack('<I', data[off + 4:off + 8])[0]
        data[off + 8] = 7
        with open(path, 'wb') as f:
            f.write(data)
        p = subprocess.run([MUDGUARD, '-r', path], capture_output=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('bad.pcapng: pcapng block at offset %d: packet on interface 7' % off,
                      p.stderr.decode())


if __name__ == '__main__':
    unittest.main(verbosity=2)
