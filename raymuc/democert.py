"""The demo's self-signed TLS certificate, made once with openssl and kept under the demo's
data dir, so that a client told to trust it keeps trusting it across demo restarts."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

OPENSSL = "openssl"
DAYS = 3650


class CertificateError(RuntimeError):
    """openssl is missing or could not make or read the certificate."""


def _openssl(*args: str) -> str:
    if shutil.which(OPENSSL) is None:
        raise CertificateError("openssl not found: install it (scripts/setup.sh does)")
    result = subprocess.run([OPENSSL, *args], stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise CertificateError(f"openssl {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def ensure_certificate(directory: Path, names: list[str]) -> tuple[Path, Path]:
    """(certificate, key) for `names` (the first is the subject), made if missing or if it
    does not cover every name; the key is readable by its owner only."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{names[0]}.crt", directory / f"{names[0]}.key"
    if cert.exists() and key.exists() and covered_names(cert) >= set(names):
        return cert, key
    san = ",".join(f"DNS:{n}" for n in names)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", str(DAYS),
             "-subj", f"/CN={names[0]}/O=RayMUC demo", "-addext", f"subjectAltName={san}",
             "-keyout", str(key), "-out", str(cert))
    key.chmod(0o600)
    return cert, key


def covered_names(cert: Path) -> set[str]:
    text = _openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName")
    return {part.strip()[4:] for part in text.replace("\n", ",").split(",")
            if part.strip().startswith("DNS:")}


def fingerprint(cert: Path, digest: str = "sha256") -> str:
    """The certificate's fingerprint as clients show it (AB:CD:...); profanity shows SHA-1."""
    return _openssl("x509", "-in", str(cert), "-noout", "-fingerprint", f"-{digest}") \
        .strip().partition("=")[2]
