"""deploy/nginx/: the real site, rendered by deploy/nginx/render.sh into a temp prefix (free ports,
a self-signed certificate, temp paths), run by Debian's nginx in front of the web unit's gunicorn,
and checked through nginx for what the site promises."""

import getpass
import json
import os
import re
import socket
import sqlite3
import ssl
import subprocess

import pytest
import urllib3

from .support import DEPLOY, free_port, stop, wait_http

pytestmark = pytest.mark.nginx

PORTAL = "portal.example.org"
MEDIA = "media.example.org"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")

MAIN_CONF = """# Stands for Debian's /etc/nginx/nginx.conf, with every path in the prefix.
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    access_log {prefix}/logs/access.log;
    include {prefix}/conf/jingkou.conf;
}}
"""


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def csrf_cookie(response) -> str:
    (cookie,) = [
        c.split(";")[0]
        for c in response.headers.getlist("Set-Cookie")
        if c.startswith("csrftoken=")
    ]
    return cookie


class Site:
    def __init__(self, prefix, http_port, https_port, cert):
        self.prefix, self.http_port, self.https_port, self.cert = (
            prefix,
            http_port,
            https_port,
            cert,
        )

    def https(self, path, host=PORTAL, method="GET", source="127.0.0.1", **kwargs):
        pool = urllib3.HTTPSConnectionPool(
            "127.0.0.1",
            self.https_port,
            server_hostname=host,
            assert_hostname=host,
            ca_certs=str(self.cert),
            cert_reqs="CERT_REQUIRED",
            source_address=(source, 0),
            retries=False,
            timeout=30,
        )
        headers = {"Host": host, **kwargs.pop("headers", {})}
        with pool:
            return pool.request(method, path, headers=headers, redirect=False, **kwargs)

    def error_log(self) -> str:
        return (self.prefix / "logs" / "jingkou.error.log").read_text()[-2000:]

    def http(self, path, host=PORTAL):
        with urllib3.HTTPConnectionPool("127.0.0.1", self.http_port, retries=False) as pool:
            return pool.request("GET", path, headers={"Host": host}, redirect=False)

    def raw_https(self, head: bytes) -> bytes:
        """Send request headers only (no body) and read the answer."""
        context = ssl.create_default_context(cafile=str(self.cert))
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=30)
        with raw, context.wrap_socket(raw, server_hostname=PORTAL) as tls:
            tls.sendall(head)
            return tls.recv(4096)


@pytest.fixture(scope="module")
def site(server, web):
    prefix = server.root / "nginx"
    for folder in ("conf", "logs", "tmp", "tls"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), free_port()
    subprocess.run(
        [DEPLOY / "nginx" / "render.sh", prefix / "conf"],
        env={
            "PATH": "/usr/bin:/bin",
            "TLS_DIR": str(prefix / "tls"),
            "MEDIA_ROOT": str(server.root / "media"),
            "WEB_ADDR": server.env["GUNICORN_BIND"],
            "CONF_DIR": str(prefix / "conf"),
            "LOG_DIR": str(prefix / "logs"),
            "HTTP_PORT": str(http_port),
            "HTTPS_PORT": str(https_port),
            "IPV6": "on" if _ipv6() else "off",
        },
        check=True,
    )
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", f"/CN={PORTAL}", "-addext", f"subjectAltName=DNS:{PORTAL},DNS:{MEDIA}"]
        + ["-keyout", prefix / "tls" / "privkey.pem", "-out", prefix / "tls" / "fullchain.pem"],
        check=True,
        capture_output=True,
    )
    # As root the workers would drop to "nobody", who cannot read the test's temp folders.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    (prefix / "conf" / "nginx.conf").write_text(MAIN_CONF.format(prefix=prefix, user=user))
    command = ["nginx", "-p", str(prefix), "-c", str(prefix / "conf" / "nginx.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # No "[warn]" either (a deprecated or ignored directive in the site).
    assert "[warn]" not in check.stderr and "[emerg]" not in check.stderr, check.stderr
    log = (prefix / "logs" / "nginx.out").open("wb")
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = prefix / "logs" / "error.log"
    wait_http(f"http://127.0.0.1:{http_port}/healthz", process, timeout=20)
    yield Site(prefix, http_port, https_port, prefix / "tls" / "fullchain.pem")
    stop(process)


def test_pages_are_proxied_over_https_with_the_scheme_and_a_request_id(site, web):
    response = site.https("/")
    assert response.status == 200
    # Django sent HSTS: it saw the request as HTTPS through nginx's X-Forwarded-Proto ...
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])  # nginx's $request_id
    assert "<html" in response.data.decode()
    # ... whereas gunicorn asked directly, without the header, redirects to HTTPS.
    direct = urllib3.request("GET", f"{web.base}/", headers={"Host": PORTAL}, redirect=False)
    assert direct.status == 301 and direct.headers["Location"] == f"https://{PORTAL}/"


def test_the_portal_sees_the_client_address_given_by_nginx_never_the_clients_own_claim(
    site, server
):
    login = site.https("/admin/login/", source="127.0.0.5")
    assert login.status == 200
    cookie = csrf_cookie(login)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.data.decode())[1]
    response = site.https(
        "/admin/login/",
        method="POST",
        source="127.0.0.5",
        headers={
            "Cookie": cookie,
            "Referer": f"https://{PORTAL}/admin/login/",
            # A client trying to pass for someone else, to dodge the lockout:
            "X-Real-IP": "203.0.113.9",
            "X-Forwarded-For": "203.0.113.9",
        },
        fields={"csrfmiddlewaretoken": token, "username": "nginx-probe", "password": "wrong"},
        encode_multipart=False,
    )
    assert response.status == 200  # the form again, with an error
    with sqlite3.connect(server.database) as db:
        rows = db.execute(
            "SELECT ip_address, request_id FROM ops_auditevent "
            "WHERE action = 'login_failed' AND object_repr = 'nginx-probe'"
        ).fetchall()
    assert rows == [("127.0.0.5", response.headers["X-Request-ID"])]


def test_plain_http_redirects_to_https_except_the_probes(site):
    response = site.http("/requests/new/?grid=3")
    assert response.status == 301
    assert response.headers["Location"] == f"https://{PORTAL}/requests/new/?grid=3"
    assert site.http("/healthz", host="10.0.0.7").status == 200  # a load balancer's probe
    ready = site.http("/readyz")
    assert ready.status in (200, 503)  # the portal's answer (503: no Celery worker in this test)
    assert "ready" in json.loads(ready.data)


def test_static_files_have_hashed_names_and_far_future_caching(site):
    page = site.https("/").data.decode()
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links no hashed stylesheet"
    response = site.https(css[1])
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= 365 * 86400


def test_photos_are_served_as_images_only(site, server):
    media = server.root / "media" / "requests" / "2026"
    media.mkdir(parents=True, exist_ok=True)
    (media / "ab12cd34.jpg").write_bytes(JPEG)
    evil = "<html><script>alert(document.cookie)</script></html>"
    for name in ("evil.html", "evil.php", "evil.jpg.html", "evil.svg", ".htaccess", "evil"):
        (media / name).write_text(evil)

    for host in (PORTAL, MEDIA):
        photo = site.https("/media/requests/2026/ab12cd34.jpg", host=host)
        assert photo.status == 200 and photo.data == JPEG
        assert photo.headers["Content-Type"] == "image/jpeg"
        assert photo.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in photo.headers["Content-Security-Policy"]
        for name in ("evil.html", "evil.php", "evil.jpg.html", "evil.svg", ".htaccess"):
            response = site.https(f"/media/requests/2026/{name}", host=host)
            assert response.status == 404, name
            assert b"<script" not in response.data
        # A name without an extension: never a page (octet-stream, not sniffed, sandboxed).
        bare = site.https("/media/requests/2026/evil", host=host)
        assert bare.headers["Content-Type"] == "application/octet-stream"
        assert bare.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in bare.headers["Content-Security-Policy"]
        assert site.https("/media/requests/2026/", host=host).status in (403, 404)  # no listing
    # The media host serves nothing but photos.
    assert site.https("/", host=MEDIA).status == 404
    assert site.https("/admin/login/", host=MEDIA).status == 404


def test_bodies_over_32_mb_are_refused_by_nginx_and_smaller_ones_reach_the_portal(site):
    head = (
        f"POST /requests/new/ HTTP/1.1\r\nHost: {PORTAL}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {32 * 2**20 + 1}\r\n\r\n"
    )
    assert site.raw_https(head.encode()).startswith(b"HTTP/1.1 413")
    # Three photos of 10 MB (the portal's limit for each) go through to Django, which reads the
    # whole form and refuses it for its missing CSRF token. (With no cookie or Referer Django
    # would refuse it before reading the body; gunicorn then closes the connection while nginx
    # still sends it, and nginx answers 502: true of any early refusal of a large upload,
    # harmless, but not what is tested here.)
    form = site.https("/requests/new/")
    assert form.status == 200
    response = site.https(
        "/requests/new/",
        method="POST",
        headers={
            "Cookie": csrf_cookie(form),
            "Referer": f"https://{PORTAL}/requests/new/",
        },
        fields=[
            ("photos", (f"big{i}.jpg", JPEG + b"x" * (10 * 2**20 - len(JPEG)), "image/jpeg"))
            for i in range(3)
        ],
    )
    assert response.status == 403, (response.status, site.error_log())


def test_metrics_are_closed_at_nginx_but_scraped_from_gunicorn(site, web):
    assert site.https("/metrics").status == 404
    direct = urllib3.request("GET", f"{web.base}/metrics")
    assert direct.status == 200 and b"django_http_requests" in direct.data


def test_logins_are_rate_limited_per_client_address(site):
    statuses = []
    for _ in range(16):
        statuses.append(site.https("/member/login/", source="127.0.0.9").status)
    assert statuses[:10] == [200] * 10
    assert 429 in statuses[10:]
    # Another address is not affected.
    assert site.https("/member/login/", source="127.0.0.10").status == 200
