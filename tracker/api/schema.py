"""Document the error answers every operation can give, so clients (and schemathesis) know them.

drf-spectacular documents the success answers from the serializers; the errors come from DRF's
handling of authentication, permissions, scoping and validation, the same for every view.
"""

from drf_spectacular.openapi import AutoSchema

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# 400: a message (list of strings) per field; nested lists of answers are keyed by index.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": True,
    "description": "A message per field; `non_field_errors` for the request as a whole.",
}


def _json(ref, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["ValidationError"] = VALIDATION_ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _json("Error", "Not signed in (no or bad token)."))
            responses.setdefault("403", _json("Error", "Your role may not do this."))
            if "{" in path:
                responses.setdefault("404", _json("Error", "Not found or not in your scope."))
            has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            # A path or query holding a NUL character is refused too (400, with a detail).
            if method in ("post", "put", "patch") or has_query or "{" in path:
                responses.setdefault("400", _json("ValidationError", "Invalid input."))
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault(
                    "429",
                    _json("Error", "Too many writes of this kind: wait Retry-After seconds."),
                )
                responses.setdefault(
                    "503",
                    _json("Error", "The records cannot be changed at the moment; nothing saved."),
                )
            if method in ("post", "put", "patch"):
                responses.setdefault("413", _json("Error", "The request body is too large."))
            if path.endswith(("/acknowledge/", "/resolve/")):
                responses.setdefault(
                    "409", _json("Error", "The flag already moved (someone acted first).")
                )
    return result


class KeysetAutoSchema(AutoSchema):
    """A list paginated on request (tracker/api/pagination.py) answers the plain list: its
    page is named apart from the envelope of a limit/offset list of the same rows (the flag
    list), which would otherwise share (and overwrite) one `Paginated…List` component."""

    def get_paginated_name(self, serializer_name):
        return f"{serializer_name}Page"
