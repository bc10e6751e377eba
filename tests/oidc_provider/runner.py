"""Start the test identity provider (a real django-oauth-toolkit OIDC provider) in a process of its own."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(8450, 8500)   # the range this project's test servers use
CLIENT_ID = "navportal-test"
CLIENT_SECRET = "navportal-test-secret-3f1c"


@dataclass
class Provider:
    process: subprocess.Popen
    base: str                 # http://127.0.0.1:PORT

    @property
    def issuer(self):
        return f"{self.base}/o"

    def settings(self, **extra):
        """The portal's settings that point at this provider (what OIDC_* environment variables would set)."""
        return {
            "OIDC_RP_CLIENT_ID": CLIENT_ID, "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET, "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/authorize/",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token/",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/userinfo/",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/.well-known/jwks.json", **extra}

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port():
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8450-8499")


def start_provider(tmp_path, *, redirect_uris, users):
    """Start the provider with `users` ({username: {"password": …, "claims": {…}}}) and one confidential client
    whose redirect URIs are `redirect_uris`; an RS256 key is made here, for this run only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings", PROVIDER_DB=str(tmp_path / "provider.sqlite3"),
               PROVIDER_USERS=json.dumps(users), PROVIDER_RSA_KEY=key, PYTHONPATH=str(ROOT),
               PROVIDER_REDIRECT_URIS=" ".join(redirect_uris), PROVIDER_CLIENT_ID=CLIENT_ID,
               PROVIDER_CLIENT_SECRET=CLIENT_SECRET)
    last_error = None
    for _attempt in range(3):
        port = free_port()
        log = open(tmp_path / "provider.log", "wb")  # a file, not a pipe: a full pipe would stall the server
        process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve", str(port)], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urlopen(f"{base}/o/.well-known/openid-configuration", timeout=2) as response:
                    if response.status == 200:
                        return Provider(process, base)
            except OSError as exc:
                last_error = exc
                time.sleep(0.3)
        process.kill()
        process.wait()
        log.close()
        last_error = f"{last_error}\n{(tmp_path / 'provider.log').read_text(errors='replace')}"
        (tmp_path / "provider.sqlite3").unlink(missing_ok=True)
    raise RuntimeError(f"the test identity provider did not start: {last_error}")
