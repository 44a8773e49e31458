"""The upstream registries a mirror syncs from, as a fixture's ``registries:`` describes them.

Quay's worker runs ``skopeo list-tags`` and ``skopeo copy`` against the mirror's
``external_reference``. mockquay answers those calls from this model: the hosts, the
credentials they require, their TLS, and their repositories' tags (architectures, how long a
copy takes, a failure to report). Failures carry skopeo's own words, as Quay logs them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockquay.domain.keys import REGISTRIES
from mockquay.domain.numbers import is_number
from mockquay.store import Documents, Transaction

TLS_MODES = ("valid", "self-signed", "unreachable")
TAG_KEYS = frozenset({"architectures", "copy_seconds", "fail", "digest", "size"})
DEFAULT_ARCHITECTURES = ("amd64",)
DEFAULT_COPY_SECONDS = 1
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"

#: ``host[:port]`` as in an ``external_reference``.
_HOST = re.compile(
    r"^(?=.{1,253}(?::|$))[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$"
)
#: The distribution spec's repository path.
_REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
#: The distribution spec's tag name.
TAG_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ARCHITECTURE = re.compile(r"^[a-z0-9_]+$")


def host_problem(host: Any) -> str | None:
    """The problem of a ``registries:`` entry's ``host``, or None."""
    if isinstance(host, str) and _HOST.match(host):
        return None
    return f"host {host!r} must be a host name or address, with an optional :port"


def auth_problem(auth: Any) -> str | None:
    """The problem of a ``registries:`` entry's ``auth``, or None."""
    if auth is None or (
        isinstance(auth, Mapping)
        and set(auth) == {"username", "password"}
        and all(isinstance(value, str) and value for value in auth.values())
    ):
        return None
    return "auth must be {username: <text>, password: <text>}"


def normalize_repositories(repositories: Any) -> tuple[dict[str, Any], list[str]]:
    """A ``registries:`` entry's ``repositories`` as stored, and their problems."""
    if not isinstance(repositories, Mapping):
        return {}, ["repositories must map repository paths to {tags: {...}}"]
    problems: list[str] = []
    stored_repositories: dict[str, Any] = {}
    for path, repository in repositories.items():
        where = f"repositories.{path}"
        if not isinstance(path, str) or not _REPOSITORY.match(path):
            problems.append(f"{where}: {path!r} is not a repository path such as coreos/etcd")
            continue
        if not isinstance(repository, Mapping) or set(repository) - {"tags"}:
            problems.append(f"{where}: must be {{tags: {{<tag>: {{...}}}}}}")
            continue
        tags = repository.get("tags") or {}
        if not isinstance(tags, Mapping):
            problems.append(f"{where}.tags: must map tag names to their description")
            continue
        stored_tags = {}
        for tag, spec in tags.items():
            tag_problems, stored = _normalize_tag(tag, spec)
            problems.extend(f"{where}.tags.{tag}: {problem}" for problem in tag_problems)
            stored_tags[str(tag)] = stored
        stored_repositories[path] = {"tags": stored_tags}
    return stored_repositories, problems


def _normalize_tag(tag: Any, spec: Any) -> tuple[list[str], dict[str, Any]]:
    problems = []
    if not isinstance(tag, str) or not TAG_NAME.match(tag):
        problems.append(f"{tag!r} is not a valid tag name")
    spec = {} if spec is None else spec
    if not isinstance(spec, Mapping):
        return problems + ["must be a mapping"], {}
    unknown = sorted(set(spec) - TAG_KEYS)
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(TAG_KEYS))})"
        )
    architectures = spec.get("architectures", list(DEFAULT_ARCHITECTURES))
    if (
        not isinstance(architectures, list)
        or not architectures
        or not all(isinstance(a, str) and _ARCHITECTURE.match(a) for a in architectures)
    ):
        problems.append("architectures must be a non-empty list such as [amd64, arm64]")
    seconds = spec.get("copy_seconds", DEFAULT_COPY_SECONDS)
    if not is_number(seconds) or seconds < 0:
        problems.append("copy_seconds must be a number of seconds, not negative")
    if spec.get("fail") is not None and not isinstance(spec["fail"], str):
        problems.append("fail must be the error text skopeo reports")
    if spec.get("digest") is not None and not (
        isinstance(spec["digest"], str) and _DIGEST.match(spec["digest"])
    ):
        problems.append("digest must be sha256:<64 hex digits>")
    size = spec.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        problems.append("size must be a number of bytes")
    stored = {
        "architectures": list(architectures) if isinstance(architectures, list) else [],
        "copy_seconds": seconds,
        "fail": spec.get("fail"),
        "digest": spec.get("digest"),
        "size": size,
    }
    return problems, stored


def put_registry(tx: Transaction, registry: dict[str, Any]) -> None:
    """Store (or replace) the registry of ``registry["host"]``."""
    tx.put(REGISTRIES, registry["host"].lower(), registry)


def export_registries(tx: Transaction) -> list[dict[str, Any]]:
    """The ``registries:`` section of the state, by host."""
    exported = []
    for _, registry in sorted(tx.scan(REGISTRIES), key=lambda item: item[0]):
        for key in ("auth", "api"):
            if registry.get(key, None) is None:
                registry.pop(key, None)
        for repository in registry["repositories"].values():
            for tag in repository["tags"].values():
                for key in ("fail", "digest", "size"):
                    if tag[key] is None:
                        del tag[key]
        exported.append(registry)
    return exported


@dataclass(frozen=True)
class Manifest:
    """What a copied tag points to."""

    digest: str
    is_manifest_list: bool
    size: int
    #: A manifest list's ``(architecture, child digest)`` pairs, in the list's order.
    children: tuple[tuple[str, str], ...] = ()

    @property
    def media_type(self) -> str:
        """The manifest's media type: Docker's schema 2 image or manifest list."""
        return MANIFEST_LIST_TYPE if self.is_manifest_list else MANIFEST_TYPE


@dataclass(frozen=True)
class Listing:
    """``skopeo list-tags``: the tags, or a failure and its output."""

    ok: bool
    tags: tuple[str, ...] = ()
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Copy:
    """``skopeo copy`` of one tag: how long it took, and what it copied (None: nothing)."""

    ok: bool
    seconds: float
    manifest: Manifest | None
    stdout: str
    stderr: str
    #: The architectures of a manifest list whose images were copied (None: all of them).
    architectures: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Source:
    """A mirror's ``external_reference`` resolved against the registries."""

    reference: str
    host: str
    path: str
    registry: dict[str, Any] | None

    @property
    def repository(self) -> dict[str, Any] | None:
        if self.registry is None:
            return None
        return self.registry["repositories"].get(self.path)


def location(reference: str) -> tuple[str, str]:
    """The registry key (host, lower case) and repository path of ``host[:port]/path``."""
    host, _, path = reference.partition("/")
    return host.lower(), path


def resolve(tx: Documents, reference: str) -> Source:
    """The registry and repository path of ``reference`` (``host[:port]/path``); through the
    worker's session the registry is read once, however many references it serves."""
    host, _, path = reference.partition("/")
    return Source(reference, host, path, tx.get(REGISTRIES, location(reference)[0]))


def _skopeo_error(now: datetime, message: str) -> str:
    """A fatal line as skopeo (logrus) prints it on stderr: RFC 3339 time, whole seconds."""
    when = now.replace(microsecond=0).isoformat()
    return f'time="{when}Z" level=fatal msg={json.dumps(message)}\n'


def _connect_failure(source: Source, mirror: Mapping[str, Any]) -> str | None:
    """Why skopeo cannot talk to the registry at all (None: it can)."""
    registry = source.registry
    ping = f'pinging container registry {source.host}: Get "https://{source.host}/v2/"'
    hostname, _, port = source.host.partition(":")
    if registry is None:
        return f"{ping}: dial tcp: lookup {hostname}: no such host"
    if registry["tls"] == "unreachable":
        return f"{ping}: dial tcp {hostname}:{port or 443}: connect: connection refused"
    verify = (mirror.get("external_registry_config") or {}).get("verify_tls", True)
    if registry["tls"] == "self-signed" and verify is not False:
        return (
            f"{ping}: tls: failed to verify certificate: x509: certificate signed by unknown "
            "authority"
        )
    auth = registry.get("auth")
    if auth is not None and (
        mirror.get("external_registry_username") != auth["username"]
        or mirror.get("external_registry_password") != auth["password"]
    ):
        return "unauthorized: access to the requested resource is not authorized"
    return None


def list_tags(source: Source, mirror: Mapping[str, Any], now: datetime) -> Listing:
    """``skopeo list-tags docker://<external_reference>``."""
    failure = _connect_failure(source, mirror)
    if failure is None and source.repository is None:
        failure = "fetching tags list: name unknown: repository name not known to registry"
    if failure is not None:
        return Listing(
            False, stderr=_skopeo_error(now, f"Error listing repository tags: {failure}")
        )
    assert source.repository is not None, "a missing repository is a failure above"
    tags = tuple(source.repository["tags"])
    stdout = json.dumps({"Repository": source.reference, "Tags": list(tags)}, indent=4) + "\n"
    return Listing(True, tags, stdout=stdout)


def manifest_of(source: Source, tag: str) -> Manifest:
    """The manifest ``tag`` points to upstream: a list when it has several architectures."""
    assert source.repository is not None, "callers found the tag upstream first"
    spec = source.repository["tags"][tag]
    known = spec.get("_manifest")
    if known is None:
        known = spec["_manifest"] = _manifest(source, tag, spec)
    return known


def _manifest(source: Source, tag: str, spec: Mapping[str, Any]) -> Manifest:
    architectures = spec["architectures"]
    digest = (
        spec["digest"]
        or "sha256:"
        + hashlib.sha256(
            f"{source.host}/{source.path}:{tag}:{','.join(architectures)}".encode()
        ).hexdigest()
    )
    size = spec["size"]
    if size is None:
        size = 1_000_000 * len(architectures) + int(digest[7:13], 16)
    if len(architectures) == 1:
        return Manifest(digest, False, size)
    children = tuple(
        (architecture, "sha256:" + hashlib.sha256(f"{digest}:{architecture}".encode()).hexdigest())
        for architecture in architectures
    )
    return Manifest(digest, True, size, children)


def copy_tag(
    source: Source,
    mirror: Mapping[str, Any],
    tag: str,
    now: datetime,
    *,
    timeout: float,
    architectures: list[str] | None = None,
    sparse_index: bool = False,
) -> Copy:
    """``skopeo copy --all`` of ``tag``, or Quay's architecture-filtered copy.

    A copy that takes longer than ``timeout`` is killed at the timeout and fails, as Quay's
    ``run_skopeo`` does.
    """
    image = f"docker://{source.reference}:{tag}"
    failure = _connect_failure(source, mirror)
    spec = (source.repository or {}).get("tags", {}).get(tag)
    if failure is None and spec is None:
        failure = f"reading manifest {tag} in {source.reference}: manifest unknown"
    elif failure is None and spec["fail"] is not None:
        failure = f"reading manifest {tag} in {source.reference}: {spec['fail']}"
    if failure is not None:
        return Copy(
            False, 0, None, "", _skopeo_error(now, f"initializing source {image}: {failure}")
        )
    seconds = spec["copy_seconds"]
    if seconds > timeout:
        return Copy(False, timeout, None, "Getting image source signatures\n", "")
    manifest = manifest_of(source, tag)
    available = spec["architectures"]
    if architectures:
        if not manifest.is_manifest_list:
            if available[0] not in architectures:
                # Quay's copy_filtered_architectures skips the image and calls it a success,
                # at once: nothing is copied.
                return Copy(True, 0, None, "", "")
        else:
            matching = [a for a in architectures if a in available]
            if not matching:
                return Copy(
                    False,
                    seconds,
                    None,
                    "",
                    f"No matching architectures. Requested: {architectures}, "
                    f"Available: {available}",
                )
            if not sparse_index:
                return Copy(
                    False,
                    seconds,
                    None,
                    "",
                    "Sparse manifest list push requires FEATURE_SPARSE_INDEX to be enabled. "
                    "Architecture filtering copies only selected architectures but pushes the "
                    "original manifest list, which references architectures that were not "
                    "copied. Enable FEATURE_SPARSE_INDEX in your Quay configuration to allow "
                    "this.",
                )
            stdout = "\n".join(
                f"[{arch}] Getting image source signatures\nWriting manifest to image destination"
                for arch in matching
            )
            return Copy(
                True,
                seconds,
                manifest,
                stdout,
                "\n".join(f"[{a}] " for a in matching),
                architectures=tuple(matching),
            )
    stdout = spec.get("_stdout")
    if stdout is None:
        stdout = spec["_stdout"] = _copy_output(manifest, len(available))
    return Copy(True, seconds, manifest, stdout, "")


def push_refused(source: Source, tag: str, destination: str, now: datetime) -> Copy:
    """``skopeo copy`` with a robot that may not push to ``destination`` (``ns/name``): Quay's
    registry refuses the robot's first blob check."""
    blob = hashlib.sha256(f"{source.reference}:{tag}".encode()).hexdigest()
    message = (
        f"trying to reuse blob sha256:{blob} at destination: checking whether a blob "
        f"sha256:{blob} exists in {destination}: unauthorized: access to the requested "
        "resource is not authorized"
    )
    return Copy(False, 0, None, "Getting image source signatures\n", _skopeo_error(now, message))


def _copy_output(manifest: Manifest, images: int) -> str:
    blob = hashlib.sha256(manifest.digest.encode()).hexdigest()
    lines = ["Getting image source signatures"]
    if manifest.is_manifest_list:
        lines.insert(0, f"Copying {images} images generated from {images} images in list")
    lines += [
        f"Copying blob sha256:{blob}",
        f"Copying config sha256:{blob[::-1]}",
        "Writing manifest to image destination",
    ]
    if manifest.is_manifest_list:
        lines.append("Writing manifest list to image destination")
    return "\n".join(lines) + "\n"
