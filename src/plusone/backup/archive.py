"""The backup file: an age-encrypted tar of ``manifest.json`` and the database dump.

Both directions stream, so memory stays flat whatever the database's size:
writing chains the tar headers and the dump file into ``pyrage.encrypt_io``;
reading lets ``pyrage.decrypt_io`` write into a small tar parser that keeps the
manifest in memory and streams the dump into a file while hashing it.
``age -d -i key.txt backup.tar.age | tar x`` opens the same file by hand.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyrage

from plusone.backup.errors import BackupError

MANIFEST_NAME = "manifest.json"
# A manifest is a few kilobytes; anything far larger is not ours.
MAX_MANIFEST = 16 * 1024 * 1024
BLOCK = tarfile.BLOCKSIZE


def parse_recipients(value: str, source: str) -> list[Any]:
    """Age public keys (``age1…``, comma-separated for several) as pyrage recipients."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise BackupError(f"{source} is empty: give an age public key (age1…)", returncode=2)
    recipients = []
    for key in keys:
        try:
            recipients.append(pyrage.x25519.Recipient.from_str(key))
        except pyrage.RecipientError as exc:
            raise BackupError(
                f"{source} is not an age public key (expected age1…): {exc}", returncode=2
            ) from None
    return recipients


def parse_identities(path: Path) -> list[Any]:
    """The age secret keys (``AGE-SECRET-KEY-1…``) in an identity file; ``#`` lines are comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"--identity: cannot read {path}: {exc}", returncode=2) from None
    lines = [line.strip() for line in text.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        raise BackupError(f"--identity: {path} holds no AGE-SECRET-KEY-1… line", returncode=2)
    identities = []
    for number, key in enumerate(keys, start=1):
        try:
            identities.append(pyrage.x25519.Identity.from_str(key))
        except pyrage.IdentityError:
            raise BackupError(
                f"--identity: key {number} in {path} is not an age secret key "
                "(expected AGE-SECRET-KEY-1…)",
                returncode=2,
            ) from None
    return identities


def _member(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


class _Chain(io.RawIOBase):
    """A read-only stream over byte strings and open files, one after another."""

    def __init__(self, parts: Iterable[bytes | IO[bytes]]) -> None:
        self._parts = [io.BytesIO(p) if isinstance(p, bytes) else p for p in parts]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._parts:
            chunk = self._parts[0].read(len(view))
            if chunk:
                view[: len(chunk)] = chunk
                return len(chunk)
            self._parts.pop(0)
        return 0


class _HashingWriter:
    """Writes through to a file, counting bytes and hashing them."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.sha256.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)

    def flush(self) -> None:
        self.target.flush()


@dataclass(frozen=True)
class Written:
    """The encrypted file written: its size and SHA-256."""

    size: int
    sha256: str


def write_archive(
    target: IO[bytes], manifest: dict[str, Any], dump: Path, dump_name: str, recipients: list[Any]
) -> Written:
    """Encrypt the tar of ``manifest`` and ``dump`` (named ``dump_name``) into ``target``."""
    body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    size = dump.stat().st_size
    writer = _HashingWriter(target)
    with dump.open("rb") as dump_file:
        plain = _Chain(
            [
                _member(MANIFEST_NAME, len(body)) + body + _padding(len(body)),
                _member(dump_name, size),
                dump_file,
                _padding(size) + b"\0" * (2 * BLOCK),
            ]
        )
        pyrage.encrypt_io(io.BufferedReader(plain, buffer_size=1 << 16), writer, recipients)
    writer.flush()
    return Written(size=writer.size, sha256=writer.sha256.hexdigest())


class _TarSink:
    """Receives the decrypted tar: keeps the manifest, streams the dump to a file."""

    def __init__(self, dump_dir: Path) -> None:
        self.dump_dir = dump_dir
        self.manifest_bytes: bytes | None = None
        self.dump_path: Path | None = None
        self.dump_sha256 = hashlib.sha256()
        self.dump_size = 0
        self.ended = False
        self._buffer = bytearray()
        self._name = ""
        self._left = 0
        self._pad = 0
        self._manifest = bytearray()
        self._out: IO[bytes] | None = None
        self.error: BackupError | None = None

    def write(self, data: Any) -> int:
        self._buffer += bytes(data)
        try:
            self._drain()
        except BackupError as exc:
            # pyrage may wrap what write() raises; keep ours to report it as it is.
            self.error = exc
            raise
        return len(data)

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _drain(self) -> None:
        while self._buffer:
            if self._left:
                take = bytes(self._buffer[: self._left])
                del self._buffer[: len(take)]
                self._left -= len(take)
                self._content(take)
                if not self._left:
                    self._finish_member()
            elif self._pad:
                take = min(self._pad, len(self._buffer))
                del self._buffer[:take]
                self._pad -= take
            elif len(self._buffer) >= BLOCK:
                header = bytes(self._buffer[:BLOCK])
                del self._buffer[:BLOCK]
                self._header(header)
            else:
                return

    def _header(self, block: bytes) -> None:
        if self.ended or block == b"\0" * BLOCK:
            self.ended = True
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "strict")
        except tarfile.TarError as exc:
            raise BackupError(f"not a PlusOne backup: a damaged tar header ({exc})") from None
        self._name, self._left, self._pad = info.name, info.size, -info.size % BLOCK
        if self._name == MANIFEST_NAME:
            if self.manifest_bytes is not None or info.size > MAX_MANIFEST:
                raise BackupError("not a PlusOne backup: an unexpected manifest")
        elif self.manifest_bytes is None or self.dump_path is not None or "/" in self._name:
            raise BackupError(f"not a PlusOne backup: unexpected member {self._name!r}")
        else:
            self.dump_path = self.dump_dir / self._name
            fd = os.open(self.dump_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._out = os.fdopen(fd, "wb")
        if not self._left:
            self._finish_member()

    def _content(self, data: bytes) -> None:
        if self._name == MANIFEST_NAME:
            self._manifest += data
        else:
            assert self._out is not None
            self._out.write(data)
            self.dump_sha256.update(data)
            self.dump_size += len(data)

    def _finish_member(self) -> None:
        if self._name == MANIFEST_NAME:
            self.manifest_bytes = bytes(self._manifest)
        else:
            self.close()


@dataclass(frozen=True)
class Opened:
    """A decrypted backup: its manifest, and the dump written to ``dump_path``."""

    manifest: dict[str, Any]
    dump_path: Path
    dump_size: int
    dump_sha256: str


def read_archive(source: Path, identities: list[Any], dump_dir: Path) -> Opened:
    """Decrypt ``source``, keep its manifest and write its dump into ``dump_dir`` (0600).

    Raises BackupError (exit 1) when the identity cannot decrypt the file, the
    file was altered or cut short, or it is not a PlusOne backup.
    """
    sink = _TarSink(dump_dir)
    try:
        with source.open("rb") as encrypted:
            pyrage.decrypt_io(encrypted, sink, identities)
    except BackupError:
        raise
    except pyrage.DecryptError as exc:
        if sink.error is not None:
            raise sink.error from None
        if "no matching keys" in str(exc).lower():
            raise BackupError("this identity cannot decrypt this backup") from None
        raise BackupError(
            f"this backup cannot be decrypted: it is damaged, cut short or not an age file ({exc})"
        ) from None
    except OSError as exc:
        if sink.error is not None:
            raise sink.error from None
        raise BackupError(
            f"this backup is damaged or was altered: its encryption no longer authenticates ({exc})"
        ) from None
    finally:
        sink.close()
    if sink.manifest_bytes is None or sink.dump_path is None or not sink.ended:
        raise BackupError("not a PlusOne backup: the manifest or the database dump is missing")
    try:
        manifest = json.loads(sink.manifest_bytes)
    except ValueError:
        raise BackupError("not a PlusOne backup: manifest.json is not JSON") from None
    if not isinstance(manifest, dict):
        raise BackupError("not a PlusOne backup: manifest.json is not an object")
    return Opened(manifest, sink.dump_path, sink.dump_size, sink.dump_sha256.hexdigest())
