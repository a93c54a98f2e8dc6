"""The HTTP API's page: its OpenAPI description as one self-contained HTML page (no scripts, nothing fetched)."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #1f2937; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #e5e7eb; }
.route { border: 1px solid #e5e7eb; border-radius: 8px; padding: 0.6em 1em; margin: 1em 0; }
.method { display: inline-block; min-width: 3.5em; font-weight: 700; color: #4338ca; }
code, .path { font-family: ui-monospace, monospace; } .path { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 14px; }
th, td { text-align: left; padding: 0.25em 0.6em; border-bottom: 1px solid #f3f4f6; vertical-align: top; }
th { color: #6b7280; font-weight: 600; } .muted { color: #6b7280; } p.desc { white-space: pre-line; }
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: 'string', 'list of Message', 'integer | null', 'one of: a, b'."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "enum" in schema:
        return "one of: " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(str(schema['const']))}</code>"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + type_of(schema.get("items", {}))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "object of " + type_of(schema["additionalProperties"])
    text = escape(str(kind))
    if schema.get("format"):
        text += f" ({escape(str(schema['format']))})"
    return text


def _limits(schema: dict[str, Any]) -> str:
    words = {
        "minimum": "≥",
        "maximum": "≤",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
        "minLength": "length ≥",
        "maxLength": "length ≤",
        "maxItems": "items ≤",
    }
    found = [
        f"{sign} {escape(str(part[key]))}"
        for part in (schema, *schema.get("anyOf", []))
        for key, sign in words.items()
        if key in part
    ]
    if schema.get("default") not in (None, "", [], {}):
        found.append(f"default <code>{escape(str(schema['default']))}</code>")
    return ", ".join(found)


def _fields(rows: list[tuple[str, str, bool, dict[str, Any], str]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td><code>{escape(name)}</code>{'' if not where else f' <span class=muted>({escape(where)})</span>'}"
        f"{' <b>required</b>' if required else ''}</td><td>{type_of(schema)}</td>"
        f"<td>{escape(description)} <span class=muted>{_limits(schema)}</span></td></tr>"
        for name, where, required, schema, description in rows
    )
    return f"<table><tr><th>name</th><th>type</th><th>meaning</th></tr>{body}</table>"


def _route(path: str, method: str, op: dict[str, Any]) -> str:
    parts = [
        f'<div class="route" id="{escape(method + path)}"><span class="method">{escape(method.upper())}</span> '
        f'<span class="path">{escape(path)}</span> — {escape(op.get("summary", ""))}'
    ]
    if op.get("description"):
        parts.append(f'<p class="desc">{escape(op["description"])}</p>')
    rows = [
        (p["name"], p.get("in", ""), bool(p.get("required")), p.get("schema", {}), p.get("description", ""))
        for p in op.get("parameters", [])
    ]
    parts.append(_fields(rows))
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        parts.append(f"<p>Body ({escape(media)}): {type_of(content.get('schema', {}))}</p>")
    answers = []
    for code, response in op.get("responses", {}).items():
        shown = "; ".join(
            f"{escape(media)} {type_of(content.get('schema', {}))}"
            for media, content in response.get("content", {}).items()
        )
        answers.append(
            f"<tr><td>{escape(code)}</td><td>{escape(response.get('description', ''))}</td><td>{shown}</td></tr>"
        )
    parts.append(f"<table><tr><th>status</th><th>when</th><th>body</th></tr>{''.join(answers)}</table></div>")
    return "".join(parts)


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = [
        (field, "", field in required, spec, spec.get("description", ""))
        for field, spec in schema.get("properties", {}).items()
    ]
    description = f"<p class=desc>{escape(schema['description'])}</p>" if schema.get("description") else ""
    shape = _fields(rows) or f"<p>{type_of(schema)}</p>"
    return f'<h3 id="schema-{escape(name)}">{escape(name)}</h3>{description}{shape}'


def openapi_html(spec: dict[str, Any], spec_url: str) -> str:
    """The page for an OpenAPI description: every route with its parameters and answers, then every schema."""
    info = spec.get("info", {})
    routes = "".join(
        _route(path, method, op)
        for path, methods in spec.get("paths", {}).items()
        for method, op in methods.items()
        if isinstance(op, dict)
    )
    schemas = "".join(_schema(n, s) for n, s in spec.get("components", {}).get("schemas", {}).items())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(info.get("title", "API"))}</title>'
        f"<style>{CSS}</style></head><body><h1>{escape(info.get('title', 'API'))}</h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        f'<p class="muted">OpenAPI {escape(str(spec.get("openapi", "")))} description: '
        f'<a href="{escape(spec_url)}">{escape(spec_url)}</a></p>'
        f"<h2>Routes</h2>{routes}<h2>Schemas</h2>{schemas}</body></html>"
    )
