#!/usr/bin/env python3
"""Many-partitions benchmark for the kalfka binary (not a timed test; see many_partitions.sh).

Starts the broker on a fresh data directory, auto-creates N one-partition topics through
Metadata requests (timed), produces one small record to each (acks=1, pipelined), then
measures: clean shutdown time, clean restart to the first answered Metadata, RSS and memory
map count after the restart and after the idle sweep, restart after kill -9; after each
restart every topic is fetched and must return its record. Only the
Python standard library; the Kafka wire format is written by hand (Metadata v4, Produce v3
with a magic-2 record batch, Fetch v4).
"""

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(value, ts):
    body = b"\x00" + varint(0) + varint(0) + varint(-1) + varint(len(value)) + value + varint(0)
    record = varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, 0, ts, ts, -1, -1, -1, 1) + record
    crc = crc32c(after_crc)
    after_len = struct.pack(">ibI", 0, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_len)) + after_len


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def frame(api_key, version, corr, body):
    header = struct.pack(">hhi", api_key, version, corr) + kstr("bench")
    msg = header + body
    return struct.pack(">i", len(msg)) + msg


def metadata_request(corr, topics):
    """Metadata v4 (allow_auto_topic_creation = true)."""
    body = struct.pack(">i", len(topics)) + b"".join(kstr(t) for t in topics) + b"\x01"
    return frame(3, 4, corr, body)


def produce_request(corr, topic, batch):
    body = struct.pack(">hhi", -1, 1, 30000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">ii", 0, len(batch)) + batch
    return frame(0, 3, corr, body)


def fetch_request(corr, topic):
    body = struct.pack(">iiiib", -1, 0, 0, 1 << 20, 0) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", 0, 0, 1 << 20)
    return frame(1, 4, corr, body)


def value(i):
    return b"value-%07d" % i


def unreadable(addr, topics):
    """How many topics do not return their one record (Fetch v4 from offset 0)."""
    with socket.create_connection(addr) as s:
        answers = pipelined(s, [fetch_request(i, t) for i, t in enumerate(topics)])
    return sum(1 for i, a in enumerate(answers) if value(i) not in a)


def produce_error(answer):
    """The partition error code of a one-partition Produce v3 answer."""
    (name_len,) = struct.unpack(">h", answer[8:10])
    at = 10 + name_len + 4
    return struct.unpack(">ih", answer[at:at + 6])[1]


def read_frame(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    (size,) = struct.unpack(">i", exact(4))
    return exact(size)


def pipelined(sock, requests, window=200):
    """Sends requests keeping up to `window` in flight; returns the responses in order."""
    out, sent = [], 0
    while len(out) < len(requests):
        while sent < len(requests) and sent - len(out) < window:
            sock.sendall(requests[sent])
            sent += 1
        out.append(read_frame(sock))
    return out


def first_answer(addr, proc, limit=120.0):
    """Seconds until a Metadata request is answered (connects and retries while refused)."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError("broker exited")
        try:
            with socket.create_connection(addr, timeout=limit) as s:
                s.sendall(metadata_request(1, []))
                read_frame(s)
                return time.monotonic() - start
        except (ConnectionRefusedError, ConnectionResetError):
            time.sleep(0.005)
    raise RuntimeError("no answer")


def proc_status(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
    with open(f"/proc/{pid}/maps") as f:
        maps = sum(1 for _ in f)
    return rss, maps


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    """many_partitions.py KALFKA_BINARY [N]
    many_partitions.py --start 'CMD {port} {cport} {datadir}' [--prepare 'CMD'] [N]
    (any other Kafka-compatible broker: --prepare runs once on the empty data directory)"""
    args = sys.argv[1:]
    prepare = None
    if args[0] == "--start":
        start_cmd = args[1]
        args = args[2:]
        if args and args[0] == "--prepare":
            prepare, args = args[1], args[2:]
    else:
        start_cmd = (args[0] + " --listen 127.0.0.1:{port} --data-dir {datadir}"
                     " --idle-file-timeout-ms 2000")
        args = args[1:]
    n = int(args[0]) if args else 10000
    data = tempfile.mkdtemp(prefix="kalfka-many-")
    port, cport = free_port(), free_port()
    addr = ("127.0.0.1", port)
    log_path = data + ".log"
    log = open(log_path, "ab")
    fill = dict(port=port, cport=cport, datadir=data)
    if prepare:
        subprocess.run(prepare.format(**fill), shell=True, check=True, stdout=log, stderr=log)
    print(f"broker_log={log_path}")

    def start():
        t0 = time.monotonic()
        p = subprocess.Popen(start_cmd.format(**fill).split(), stdout=log, stderr=log,
                             env=dict(os.environ, RUST_LOG="info"))
        return p, t0

    proc, _ = start()
    first_answer(addr, proc)
    topics = [f"bench-{i:06d}" for i in range(n)]
    with socket.create_connection(addr) as s:
        # One topic per Metadata request, as a client auto-creating topics one by one does;
        # timed per fifth, to see whether creating gets slower as topics accumulate.
        fifths = []
        step = max(1, n // 5)
        for lo in range(0, n, step):
            t = time.monotonic()
            chunk = topics[lo:lo + step]
            pipelined(s, [metadata_request(lo + i, [tp]) for i, tp in enumerate(chunk)], window=1)
            fifths.append(time.monotonic() - t)
        create_s = sum(fifths)
        now = int(time.time() * 1000)
        t = time.monotonic()
        pending = list(range(n))
        give_up = time.monotonic() + 600
        while time.monotonic() < give_up:  # retried while a new topic has no leader (Kafka)
            answers = pipelined(s, [produce_request(i, topics[i], record_batch(value(i), now))
                                    for i in pending])
            pending = [i for i, a in zip(pending, answers) if produce_error(a) != 0]
            if not pending:
                break
            time.sleep(0.1)
        produce_s = time.monotonic() - t
    print(f"partitions={n}")
    print(f"auto_create_{n}_topics_s={create_s:.2f} per_fifth_s="
          + ",".join(f"{f:.2f}" for f in fifths))
    print(f"produce_one_record_each_s={produce_s:.2f} not_acknowledged={len(pending)}")

    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    print(f"clean_shutdown_s={time.monotonic() - t:.2f}")

    proc, t0 = start()
    ready = first_answer(addr, proc)
    rss, maps = proc_status(proc.pid)
    print(f"clean_restart_to_metadata_s={ready:.3f}")
    print(f"rss_after_clean_restart_mb={rss} maps={maps}")
    print(f"unreadable_after_clean_restart={unreadable(addr, topics)}")
    time.sleep(5)
    rss, maps = proc_status(proc.pid)
    print(f"rss_after_idle_sweep_mb={rss} maps={maps}")

    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc, t0 = start()
    ready = first_answer(addr, proc)
    rss, maps = proc_status(proc.pid)
    print(f"kill9_restart_to_metadata_s={ready:.3f}")
    print(f"rss_after_kill9_restart_mb={rss} maps={maps}")
    print(f"unreadable_after_kill9_restart={unreadable(addr, topics)}")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    subprocess.run(["rm", "-rf", data], check=False)


if __name__ == "__main__":
    main()
