"""Small pcap/pcapng reader and writers for the replay tests (stdlib only)."""
import struct


def read_pcap(path):
    """Returns (linktype, [(ts_sec, ts_usec, bytes)]) of a classic pcap file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('<I', data[:4])
    assert magic == 0xa1b2c3d4, 'little-endian microsecond pcap expected'
    linktype, = struct.unpack('<I', data[20:24])
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack('<IIII', data[off:off + 16])
        out.append((sec, usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, out


def read_pcapng(path):
    """Returns (linktype, [(ts_sec, ts_usec, bytes)]) of a little-endian
    pcapng file with one interface (its if_tsresol, 10^-N, honoured)."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:4] == b'\x0a\x0d\x0d\x0a', 'pcapng expected'
    out, linktype, per_s, off = [], None, 1000000, 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack('<II', data[off:off + 8])
        if btype == 1:
            linktype, = struct.unpack('<H', data[off + 8:off + 10])
            o = off + 16
            while o + 4 <= off + blen - 4:
                code, olen = struct.unpack('<HH', data[o:o + 4])
                if code == 0:
                    break
                if code == 9 and not data[o + 4] & 0x80:
                    per_s = 10 ** data[o + 4]
                o += 4 + olen + (-olen % 4)
        elif btype == 6:
            _, hi, lo, incl, _ = struct.unpack('<IIIII', data[off + 8:off + 28])
            us = (hi << 32 | lo) * 1000000 // per_s
            out.append((us // 1000000, us % 1000000, data[off + 28:off + 28 + incl]))
        off += blen
    return linktype, out


def write_pcap(path, linktype, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        for sec, usec, b in frames:
            f.write(struct.pack('<IIII', sec, usec, len(b), len(b)))
            f.write(b)


def write_pcapng(path, linktype, frames):
    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack('<II', btype, n) + body + struct.pack('<I', n)
    with open(path, 'wb') as f:
        f.write(block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1)))
        f.write(block(1, struct.pack('<HHI', linktype, 0, 262144)))
        for sec, usec, b in frames:
            ts = sec * 1000000 + usec
            f.write(block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff,
                                         len(b), len(b)) + b))


def to_sll(frames):
    """Ethernet -> Linux cooked v1 (sender MAC kept)."""
    out = []
    for sec, usec, b in frames:
        hdr = struct.pack('>HHH', 0, 1, 6) + b[6:12] + b'\0\0' + b[12:14]
        out.append((sec, usec, hdr + b[14:]))
    return out


def to_sll2(frames):
    out = []
    for sec, usec, b in frames:
        hdr = b[12:14] + b'\0\0' + struct.pack('>IHBB', 2, 1, 0, 6) + b[6:12] + b'\0\0'
        out.append((sec, usec, hdr + b[14:]))
    return out


def to_raw(frames):
    """Ethernet -> raw IP (non-IP frames dropped)."""
    return [(s, u, b[14:]) for s, u, b in frames if b[12:14] in (b'\x08\x00', b'\x86\xdd')]


def write_pcapng_ifaces(path, ifaces, frames, big=False):
    """A pcapng file of several interfaces, each (linktype, snaplen, tsresol
    exponent of 10 or None), and frames (iface, ts_sec, ts_usec, bytes) as
    Enhanced Packet Blocks, in one section of either byte order, with a name
    resolution block libpcap and we skip."""
    e = '>' if big else '<'

    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(e + 'II', btype, n) + body + struct.pack(e + 'I', n)
    with open(path, 'wb') as f:
        f.write(block(0x0a0d0d0a, struct.pack(e + 'IHHq', 0x1a2b3c4d, 1, 0, -1)))
        for lt, snap, res in ifaces:
            opts = b''
            if res is not None:
                opts = struct.pack(e + 'HHB3x', 9, 1, res) + struct.pack(e + 'HH', 0, 0)
            f.write(block(1, struct.pack(e + 'HHI', lt, 0, snap) + opts))
        f.write(block(4, struct.pack(e + 'HH', 0, 0)))
        for i, sec, usec, b in frames:
            res = ifaces[i][2]
            ts = (sec * 1000000 + usec) * 10 ** ((6 if res is None else res) - 6)
            f.write(block(6, struct.pack(e + 'IIIII', i, ts >> 32, ts & 0xffffffff,
                                         len(b), len(b)) + b))
