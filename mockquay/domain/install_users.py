"""Users as a superuser manages them (Quay's ``endpoints/api/superuser.py``, the "install users").

Every operation here needs ``SuperUserPermission`` (a ``SUPER_USERS`` member with the
``super:user`` scope); ``SUPERUSERS_FULL_ACCESS`` plays no part. mockquay is a Quay with
database authentication and ``FEATURE_MAILING`` off: a created user is verified at once, needs
no e-mail, and its generated password is in the answer.
"""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from collections.abc import Mapping
from typing import Any

from mockquay.domain import avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import DataModelException, InvalidRequest, NotFound, Unauthorized
from mockquay.domain.keys import ORGANIZATIONS, USERS
from mockquay.domain.namespaces import delete_namespace
from mockquay.domain.organizations import superuser_organization_view
from mockquay.domain.users import user_record, validate_username
from mockquay.store import Transaction

#: ``util/validation.py INVALID_PASSWORD_MESSAGE``.
INVALID_PASSWORD = (
    "Invalid password, password must be at least 8 characters and contain no whitespace."
)
_PASSWORD_ALPHABET = string.ascii_uppercase + string.digits
PASSWORD_LENGTH = 32


def _require_superuser(ctx: Context) -> None:
    if not namespace_roles.is_superuser(ctx.config, ctx.caller):
        raise Unauthorized()


def install_user_view(ctx: Context, user: Mapping[str, Any]) -> dict[str, Any]:
    """``superuser_models_interface.User.to_dict``: ``super_user`` is the config's list."""
    return {
        "kind": "user",
        "name": user["username"],
        "username": user["username"],
        "email": user["email"],
        "verified": True,
        "avatar": avatars.for_user(user),
        "super_user": user["username"] in ctx.config.super_users,
        "enabled": user.get("enabled", True),
    }


def encrypted_password(password: str) -> str:
    """``authentication.encrypt_user_password``: an AES token of ``{"password": ...}``, which
    no client reads; mockquay answers a token of the same shape (IV and two blocks, base64)."""
    return base64.b64encode(secrets.token_bytes(16 + 16 * (2 + len(password) // 16))).decode()


def list_users(tx: Transaction, ctx: Context, *, disabled: bool) -> dict[str, Any]:
    """``listAllUsers``: every user (not organizations or robots), the disabled ones too unless
    ``disabled`` is false."""
    _require_superuser(ctx)
    # Quay lists by row id; mockquay keeps no creation order, so by name.
    users = sorted(
        (user for _, user in tx.scan(USERS) if disabled or user.get("enabled", True)),
        key=lambda user: user["username"],
    )
    return {"users": [install_user_view(ctx, user) for user in users]}


def list_organizations(tx: Transaction, ctx: Context) -> dict[str, Any]:
    """``listAllOrganizations``."""
    _require_superuser(ctx)
    return {
        "organizations": [
            superuser_organization_view(org) for _, org in sorted(tx.scan(ORGANIZATIONS))
        ]
    }


def create_user(tx: Transaction, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """``createInstallUser``: ``model.user.create_user`` with a generated 32-character password.

    Its refusals are ``DataModelException`` s (400 ``{"message"}``): an invalid name, or one a
    user or organization holds. Without an e-mail the user gets a random one.
    """
    _require_superuser(ctx)
    username = body["username"]
    problem = validate_username(username)
    if problem is not None:
        raise DataModelException(f"Invalid namespace {username}: {problem}")
    if tx.get(ORGANIZATIONS, username) is not None:
        raise DataModelException(
            f"Username has already been taken by an organization and cannot be reused: {username}"
        )
    if tx.get(USERS, username) is not None:
        raise DataModelException(
            f"Username has already been taken by user cannot be reused: {username}"
        )
    password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
    email = body.get("email")
    tx.put(USERS, username, user_record(username, email=email or str(uuid.uuid4())))
    return {
        "username": username,
        "email": email,
        "password": password,
        "encrypted_password": encrypted_password(password),
    }


def _managed_user(tx: Transaction, ctx: Context, username: str) -> dict[str, Any]:
    """``get_nonrobot_user`` after the superuser check: a missing user is a 404."""
    _require_superuser(ctx)
    user = tx.get(USERS, username)
    if user is None:
        raise NotFound()
    return user


def view_user(tx: Transaction, ctx: Context, username: str) -> dict[str, Any]:
    """``getInstallUser``."""
    return install_user_view(ctx, _managed_user(tx, ctx, username))


def delete_user(tx: Transaction, ctx: Context, username: str) -> None:
    """``deleteInstallUser``: never a superuser; the user's namespace goes with all it holds."""
    _managed_user(tx, ctx, username)
    if username in ctx.config.super_users:
        raise InvalidRequest("Cannot delete a superuser")
    delete_namespace(tx, username)


def change_user(
    tx: Transaction, ctx: Context, username: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``changeInstallUser``: password, e-mail, enabled, in that order.

    Quay answers the user as it was read before the change, with ``encrypted_password`` for a
    new password and the new e-mail written over the old one.
    """
    user = _managed_user(tx, ctx, username)
    if username in ctx.config.super_users:
        raise InvalidRequest("Cannot update a superuser")
    answer = install_user_view(ctx, user)
    password = body.get("password")
    if password is not None and (len(password) < 8 or any(c.isspace() for c in password)):
        raise DataModelException(INVALID_PASSWORD)
    changed = dict(user)
    if "email" in body:
        if any(
            other["email"] == body["email"] and name != username for name, other in tx.scan(USERS)
        ):
            raise DataModelException("E-mail address already used")
        changed["email"] = body["email"]
    if "enabled" in body:
        changed["enabled"] = bool(body["enabled"])
    tx.put(
        USERS,
        username,
        user_record(
            username,
            email=changed["email"],
            enabled=changed.get("enabled", True),
            starred=changed.get("starred", ()),
        ),
    )
    if password is not None:
        answer["encrypted_password"] = encrypted_password(password)
    if body.get("email") is not None:
        answer["email"] = body["email"]
    return answer
