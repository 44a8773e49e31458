"""marshmallow fields that take JSON and YAML values as they are, and one message per problem.

marshmallow converts where it can (``"503"`` to 503, ``1`` to True); a fixture or a fault rule
must say what it means, so these fields refuse what is not already of their type. A field whose
inner values are wrong reports its own one message, as mockquay's problems always have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import ValidationError, fields
from marshmallow import validates_schema as _validates_schema

from mockquay.domain.numbers import is_number

#: The message marshmallow gives a key no field takes; :func:`problems` lists these apart.
UNKNOWN = "unknown key"
#: The message of a required field of a schema that reports missing keys together.
MISSING = "missing key"


class _OneMessage(fields.Field):
    """A field whose every problem, its validators' included, is its one ``message``."""

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any) -> None:
        if message is not None:
            kwargs["error_messages"] = messages(message, **kwargs.get("error_messages", {}))
        super().__init__(*args, **kwargs)

    def _validate(self, value: Any) -> None:
        try:
            super()._validate(value)
        except ValidationError:
            raise self.make_error("invalid") from None

    def _checked(self, value: Any) -> bool:
        return True

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if not self._checked(value):
            raise self.make_error("invalid")
        try:
            return super()._deserialize(value, attr, data, *args, **kwargs)
        except ValidationError:
            raise self.make_error("invalid") from None


class String(_OneMessage, fields.String):
    pass


class Integer(_OneMessage, fields.Integer):
    def _checked(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)


class Number(_OneMessage, fields.Float):
    """An int or a finite float, kept as given (``250`` stays an int)."""

    def _checked(self, value: Any) -> bool:
        return is_number(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not self._checked(value):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class Boolean(_OneMessage, fields.Boolean):
    def _checked(self, value: Any) -> bool:
        return isinstance(value, bool)


class List(_OneMessage, fields.List):
    def _checked(self, value: Any) -> bool:
        return isinstance(value, list)


class Dict(_OneMessage, fields.Dict):
    def _checked(self, value: Any) -> bool:
        return isinstance(value, Mapping)


class Nested(_OneMessage, fields.Nested):
    pass


class Raw(fields.Raw):
    """Any JSON value, ``null`` included."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)


class Checked(fields.Field):
    """A value ``check`` accepts, kept as given; ``check`` returns the problem or None.

    ``json_type`` is the value's JSON type in the OpenAPI document (None: any). Without an
    explicit ``allow_none``, ``check(None)`` decides about null and a missing required value.
    """

    def __init__(
        self,
        check: Callable[[Any], str | None],
        *,
        json_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = kwargs.pop("metadata", {})
        if json_type is not None:
            metadata = {"type": json_type, **metadata}
        if "allow_none" not in kwargs:
            null = check(None)
            if null is None:
                kwargs["allow_none"] = True
            else:
                kwargs["error_messages"] = {
                    **messages(null),
                    **kwargs.get("error_messages", {}),
                }
        super().__init__(metadata=metadata, **kwargs)
        self.check = check

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        problem = self.check(value)
        if problem is not None:
            raise ValidationError(problem)
        return value


def messages(text: str, **others: str) -> dict[str, str]:
    """One message for every way a field can be wrong: absent, null, of the wrong type."""
    return {"required": text, "null": text, "invalid": text, **others}


def problems(errors: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """marshmallow's nested error messages as ``(path, message)`` pairs, in their order.

    ``_schema`` (a problem of a whole mapping) is told at the mapping's own path.
    """
    if isinstance(errors, Mapping):
        found = []
        for key, value in errors.items():
            found.extend(problems(value, path if key == "_schema" else (*path, key)))
        return found
    if isinstance(errors, list):
        found = []
        for item in errors:
            found.extend(problems(item, path))
        return found
    return [(path, str(errors))]


#: A lone surrogate, which UTF-8 cannot carry (JSON escapes it as ``\\ud800``).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def validates_schema(function: Any) -> Any:
    """marshmallow's ``validates_schema`` that also runs when fields have problems, and sees
    the data as given: every problem of an entry is reported at once."""
    return _validates_schema(pass_original=True, skip_on_field_errors=False)(function)
