"""TLS (issue 7): `serve --tls-cert/--tls-key` with a self-signed certificate
made by openssl here, exercised by curl over HTTPS on loopback: the API
works, plain HTTP is refused, the key appears in no output or log, and bad
flag combinations are refused with a message."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from dcserver import BIN  # noqa: E402

pytestmark = pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("curl")),
                                reason="needs openssl and curl")


def make_cert(d):
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def curl(*args):
    out = subprocess.run(["curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}"] + list(args),
                         capture_output=True, text=True)
    body, _, code = out.stdout.rpartition("\n")
    return out.returncode, int(code or 0), body, out.stderr


def test_https_with_curl_and_the_key_never_logged():
    d = tempfile.mkdtemp(prefix="dc-tls-")
    cert, key = make_cert(d)
    store = os.path.join(d, "store.db")
    auth = subprocess.run([BIN, "init", "--store", store, "--authority", "tls_auth"], check=True,
                          capture_output=True, text=True).stdout.strip()
    log = open(os.path.join(d, "serve.log"), "w")
    p = subprocess.Popen([BIN, "serve", "--store", store, "--listen", "127.0.0.1:0",
                          "--tls-cert", cert, "--tls-key", key],
                         stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:"), url
        rc, code, body, err = curl("--cacert", cert, url + "/healthz")
        assert rc == 0 and code == 200 and json.loads(body) == {"status": "ok"}, (rc, err)
        rc, code, body, _ = curl("--cacert", cert, "-H", "Authorization: Bearer " + auth,
                                 "-H", "Content-Type: application/json",
                                 "-d", '{"name":"tls_op"}', url + "/v1/operators")
        assert code == 201, body
        op_key = json.loads(body)["api_key"]
        vol = {"footprint": {"type": "Point", "coordinates": [44.2, 33.1], "radius_m": 1000},
               "altitude_lower_m": 100, "altitude_upper_m": 900,
               "time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T11:00:00Z"}
        rc, code, body, _ = curl("--cacert", cert, "-H", "Authorization: Bearer " + op_key,
                                 "-d", json.dumps({"volumes": [vol]}), url + "/v1/operations")
        assert code == 201, body
        # The certificate is checked: without trusting it curl refuses.
        rc, code, _, _ = curl(url + "/healthz")
        assert rc != 0
        # Plain HTTP on the TLS port gets no HTTP answer.
        rc, code, _, _ = curl(url.replace("https://", "http://") + "/healthz")
        assert code != 200
    finally:
        p.terminate()
        assert p.wait(timeout=30) == 0
        log.close()
    secret = "".join(l for l in open(key).read().splitlines() if not l.startswith("-----"))
    for path in (os.path.join(d, "serve.log"),):
        text = open(path).read()
        assert "PRIVATE KEY" not in text
        for k in range(0, len(secret) - 16, 16):
            assert secret[k:k + 16] not in text
        assert "https://" in text


def test_tls_flag_errors():
    d = tempfile.mkdtemp(prefix="dc-tls-")
    cert, key = make_cert(d)
    store = os.path.join(d, "store.db")
    subprocess.run([BIN, "init", "--store", store], check=True, capture_output=True)
    out = subprocess.run([BIN, "serve", "--store", store, "--tls-cert", cert], capture_output=True,
                         text=True)
    assert out.returncode == 2 and "--tls-key" in out.stderr
    out = subprocess.run([BIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--tls-cert",
                          cert, "--tls-key", os.path.join(d, "missing.pem")],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "missing.pem" in out.stderr
    # A key that does not belong to the certificate (or is not PEM at all).
    with open(os.path.join(d, "junk.pem"), "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    out = subprocess.run([BIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--tls-cert",
                          cert, "--tls-key", os.path.join(d, "junk.pem")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "tls" in out.stderr and "not a key" not in out.stderr
