"""Certificates for a class's grading cluster: a CA of its own, and a key and certificate per role.

`grader cluster certs DIR` writes `ca.pem` (the certificate every party trusts), `ca-key.pem` (keep
it with the instructor: it signs the others), and `<role>.pem` with `<role>-key.pem` for the
scheduler, the workers and the client (the instructor's `grader batch`). Dask's TLS then requires
both ends of every connection to show a certificate this CA signed.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROLES = ("scheduler", "worker", "client")
VALID_DAYS = 365
Key = ec.EllipticCurvePrivateKey


def make(folder: Path, *, days: int = VALID_DAYS) -> list[Path]:
    """Write the CA and each role's key and certificate into `folder`; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("grader cluster CA")
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, days, authority=True)
    written = [_write_key(folder / "ca-key.pem", ca_key), _write_cert(folder / "ca.pem", ca)]
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(_name(f"grader {role}"), ca_name, key.public_key(), ca_key, days, authority=False)
        written += [_write_key(folder / f"{role}-key.pem", key), _write_cert(folder / f"{role}.pem", cert)]
    return written


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public: ec.EllipticCurvePublicKey,
    signer: Key,
    days: int,
    *,
    authority: bool,
) -> x509.Certificate:
    """A certificate for `subject`, signed by `signer`: a CA's, or one a server and a client may use."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if not authority:  # every Dask process both listens and connects
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write_key(path: Path, key: Key) -> Path:
    """A private key, readable by its owner only."""
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


def _write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
