#!/usr/bin/python3
"""An independent HBONE client: Python's ssl and the h2 package (Debian python3-h2), no
meshtwin code. Proves the ztunnel's 15008 speaks standard HTTP/2 CONNECT over mTLS.

usage: hbone_client.py HOST PORT AUTHORITY CERT KEY ROOT PAYLOAD
Prints one JSON object: the TLS facts, the CONNECT status and echo, and the status of a GET.
"""
import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events

X509_V_FLAG_NO_CHECK_TIME = 0x200000  # the mesh runs on a fixed test clock, not this one


def main():
    host, port, authority, cert, key, root, payload = sys.argv[1:8]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False  # Istio sets no SNI and checks the SPIFFE SAN instead
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= X509_V_FLAG_NO_CHECK_TIME
    ctx.load_verify_locations(root)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2"])
    sock = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10))
    peer = sock.getpeercert()
    sans = [v for (k, v) in peer.get("subjectAltName", ()) if k == "URI"]

    # h2 4.1 insists on :scheme and :path even for CONNECT (RFC 9113 8.5 forbids them there);
    # switch its outbound check off to send the standard two-pseudo-header CONNECT.
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, validate_outbound_headers=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    def run(stream_id, expect_data):
        status, body, ended = None, b"", False
        while not ended:
            data = sock.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == stream_id:
                    status = int(dict(ev.headers)[b":status"])
                    if status != 200 or not expect_data:
                        ended = status != 200
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == stream_id:
                    body += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == stream_id:
                    ended = True
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == stream_id:
                    ended = True
            sock.sendall(conn.data_to_send())
            if status == 200 and expect_data and body == expect_data:
                break
        return status, body

    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "CONNECT"), (":authority", authority)])
    conn.send_data(sid, payload.encode())
    sock.sendall(conn.data_to_send())
    connect_status, echo = run(sid, payload.encode())

    sid2 = conn.get_next_available_stream_id()
    conn.send_headers(sid2, [(":method", "GET"), (":scheme", "https"), (":authority", authority), (":path", "/")],
                      end_stream=True)
    sock.sendall(conn.data_to_send())
    get_status, _ = run(sid2, None)

    print(json.dumps({
        "tls_version": sock.version(),
        "alpn": sock.selected_alpn_protocol(),
        "peer_uri_sans": sans,
        "connect_status": connect_status,
        "echo": echo.decode(errors="replace"),
        "get_status": get_status,
    }))


if __name__ == "__main__":
    main()
