#!/usr/bin/env python3
"""udp.py - raw UDP helpers for the integration tests (standard library only).

  udp.py send HOST PORT HEX [WAIT_S]       send one datagram, print each reply as hex
  udp.py flood HOST PORT COUNT HEXFILE     send COUNT copies of a datagram from
                                           COUNT different source ports; print
                                           how many replies arrived
  udp.py coap-get HOST PORT PATH [QUERY]   plain CoAP GET with Block2 reassembly;
                                           prints JSON: code, body (hex), sizes of
                                           every reply datagram, block options
  udp.py hello                             print a cookie-less DTLS 1.2 ClientHello (hex)
  udp.py cookie-hellos HOST PORT COUNT     from COUNT source ports: ClientHello, take
                                           the HelloVerifyRequest cookie, send the
                                           ClientHello again with it; print how many
                                           ServerHellos came back (state created)
  udp.py nosec-bootstrap HOST PORT EP [PCT] [DIALECT]
                                           a minimal, scripted LwM2M client over plain
                                           CoAP: POST /bs, then answers every server
                                           request with success (Discover in the given
                                           dialect: wakaama | anjay); prints JSON with
                                           the /bs answer, each request seen and the
                                           Finish answer sent; UDP_VANISH_AFTER=N
                                           stops answering after N requests
  UDP_SRC=ADDR binds the client socket to ADDR first (loopback aliases).
"""
import json
import os
import socket
import struct
import sys
import time


def client_hello(cookie=b"", rnd=None):
    body = b"\xfe\xfd" + (rnd or os.urandom(32)) + b"\x00" + bytes([len(cookie)]) + cookie
    body += b"\x00\x02\xc0\xa8" + b"\x01\x00" + b"\x00\x04\x00\x17\x00\x00"
    hs = bytes([1]) + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" + len(body).to_bytes(3, "big")
    rec = b"\x16\xfe\xfd" + b"\x00" * 8 + len(hs + body).to_bytes(2, "big")
    return rec + hs + body


def opt_encode(opts):
    out, last = b"", 0
    for num, val in sorted(opts, key=lambda o: o[0]):
        d, ln = num - last, len(val)
        last = num

        def nib(x):
            if x < 13:
                return x, b""
            if x < 269:
                return 13, bytes([x - 13])
            return 14, (x - 269).to_bytes(2, "big")

        dn, de = nib(d)
        ln_, le = nib(ln)
        out += bytes([dn << 4 | ln_]) + de + le + val
    return out


def parse(msg):
    tkl = msg[0] & 15
    code, mid = msg[1], struct.unpack(">H", msg[2:4])[0]
    i, num, opts = 4 + tkl, 0, []
    while i < len(msg) and msg[i] != 0xFF:
        b = msg[i]
        i += 1
        d, ln = b >> 4, b & 15
        if d == 13:
            d, i = msg[i] + 13, i + 1
        elif d == 14:
            d, i = int.from_bytes(msg[i:i + 2], "big") + 269, i + 2
        if ln == 13:
            ln, i = msg[i] + 13, i + 1
        elif ln == 14:
            ln, i = int.from_bytes(msg[i:i + 2], "big") + 269, i + 2
        num += d
        opts.append((num, msg[i:i + ln]))
        i += ln
    payload = msg[i + 1:] if i < len(msg) else b""
    return code, mid, opts, payload


def uint(v):
    return int.from_bytes(v, "big") if v else 0


def new_sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if os.environ.get("UDP_SRC"):
        s.bind((os.environ["UDP_SRC"], 0))
    return s


def cookie_hellos(host, port, count):
    socks = []
    for _ in range(count):
        s = new_sock()
        s.settimeout(2)
        rnd = os.urandom(32)
        s.sendto(client_hello(rnd=rnd), (host, port))
        data = s.recv(65535)
        if not (len(data) > 25 and data[0] == 22 and data[13] == 3):
            continue
        # HelloVerifyRequest body: server_version(2) cookie<0..255>
        clen = data[25 + 2]
        cookie = data[25 + 3:25 + 3 + clen]
        s.sendto(client_hello(cookie=cookie, rnd=rnd), (host, port))
        socks.append(s)
    time.sleep(0.5)
    got = 0
    for s in socks:
        s.settimeout(0.2)
        try:
            data = s.recv(65535)
            if len(data) > 13 and data[0] == 22 and data[13] == 2:
                got += 1
        except socket.timeout:
            pass
        s.close()
    return got


def coap_get(host, port, path, query):
    s = new_sock()
    s.settimeout(2)
    body, sizes, blocks, num, szx, mid = b"", [], [], 0, 6, 0x2000
    code = None
    while True:
        opts = [(11, seg.encode()) for seg in path.strip("/").split("/") if seg]
        if query:
            opts.append((15, query.encode()))
        if num:
            opts.append((23, uint_bytes(num << 4 | szx)))
        mid += 1
        req = bytes([0x40, 0x01]) + struct.pack(">H", mid) + opt_encode(opts)
        s.sendto(req, (host, port))
        data, _ = s.recvfrom(65535)
        sizes.append(len(data))
        code, rmid, ropts, payload = parse(data)
        b2 = [uint(v) for n, v in ropts if n == 23]
        body += payload
        if not b2:
            break
        blocks.append(b2[0])
        if not b2[0] & 8:
            break
        # ask for the next block with the size the server chose (RFC 7959 §2.4)
        szx = b2[0] & 7
        num = (b2[0] >> 4) + 1
    return {"code": "%d.%02d" % (code >> 5, code & 31), "body": body.hex(), "sizes": sizes, "blocks": blocks}


DISCOVER = {
    "wakaama": '</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101;uri="coaps://old:5684",</1/0>;ssid=101,</2>,</3/0>',
    "anjay": '</>;lwm2m=1.1,</0>,</0/1>;uri="coaps://bs:5684",</1>,</2>,</3>,</3/0>',
}


def nosec_bootstrap(host, port, ep, pct, dialect):
    s = new_sock()
    s.settimeout(5)
    q = [(15, ("ep=" + ep).encode())]
    if pct:
        q.append((15, ("pct=" + pct).encode()))
    req = bytes([0x41, 0x02, 0x10, 0x01, 0xA1]) + opt_encode([(11, b"bs")] + q)
    s.sendto(req, (host, port))
    data, _ = s.recvfrom(65535)
    code = parse(data)[0]
    out = {"bs": "%d.%02d" % (code >> 5, code & 31), "requests": []}
    if code != 0x44:
        return out
    seen = set()
    while True:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            out["timeout"] = True
            return out
        rcode, mid, opts, payload = parse(data)
        tkl = data[0] & 15
        token = data[4:4 + tkl]
        path = "/" + "/".join(v.decode() for n, v in opts if n == 11)
        cf = [uint(v) for n, v in opts if n == 12]
        method = {1: "GET", 2: "POST", 3: "PUT", 4: "DELETE"}.get(rcode, str(rcode))
        vanish = int(os.environ.get("UDP_VANISH_AFTER", "0"))
        if vanish and len(out["requests"]) >= vanish:
            out["vanished"] = True
            return out
        if mid not in seen:
            seen.add(mid)
            out["requests"].append({"method": method, "path": path, "cf": cf[0] if cf else None,
                                    "payload": payload.hex(), "block1": [uint(v) for n, v in opts if n == 27]})
        ropts, body = [], b""
        if method == "GET":
            rc, ropts, body = 0x45, [(12, b"\x28")], DISCOVER[dialect].encode()
        elif method == "DELETE":
            rc = 0x42
        elif method == "PUT":
            b1 = [uint(v) for n, v in opts if n == 27]
            rc = 0x44
            if b1 and b1[0] & 8:
                rc, ropts = 0x5F, [(27, uint_bytes(b1[0]))]
        else:
            rc = 0x44
        resp = bytes([0x60 | tkl, rc]) + struct.pack(">H", mid) + token + opt_encode(ropts)
        if body:
            resp += b"\xff" + body
        s.sendto(resp, addr)
        if method == "POST" and path == "/bs":
            out["finish"] = "2.04"
            return out


def uint_bytes(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""


def main():
    cmd = sys.argv[1]
    if cmd == "hello":
        print(client_hello().hex())
    elif cmd == "nosec-bootstrap":
        host, port, ep = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        pct = sys.argv[5] if len(sys.argv) > 5 else ""
        dialect = sys.argv[6] if len(sys.argv) > 6 else "wakaama"
        print(json.dumps(nosec_bootstrap(host, port, ep, pct, dialect)))
    elif cmd == "cookie-hellos":
        print(cookie_hellos(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    elif cmd == "send":
        host, port, hexdata = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        wait = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
        s = new_sock()
        s.sendto(bytes.fromhex(hexdata), (host, port))
        s.settimeout(wait)
        try:
            while True:
                data, _ = s.recvfrom(65535)
                print(data.hex())
        except socket.timeout:
            pass
    elif cmd == "flood":
        host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        socks = []
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.sendto(client_hello(), (host, port))
            socks.append(s)
            if len(socks) % 50 == 0:
                time.sleep(0.01)
        time.sleep(1.0)
        got = 0
        for s in socks:
            try:
                data = s.recv(65535)
                if len(data) > 13 and data[0] == 22 and data[13] == 3:
                    got += 1
            except BlockingIOError:
                pass
            s.close()
        print(got)
    elif cmd == "coap-get":
        host, port, path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        query = sys.argv[5] if len(sys.argv) > 5 else ""
        print(json.dumps(coap_get(host, port, path, query)))
    else:
        sys.exit("unknown command")


if __name__ == "__main__":
    main()
