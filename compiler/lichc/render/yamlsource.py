"""Safe YAML scalars for generated YAML files (docker-compose.yml).

Every string that reaches a generated YAML file goes through `yaml_str`: a
double-quoted scalar with every character that could end or change it
escaped, so no value from jobs.yaml can add a key, start a comment or turn
into a number or a boolean. Compose also expands `$` in every string, so
`compose_str` doubles it: a value from jobs.yaml is always taken literally.
"""

from __future__ import annotations

import re

from lichc.fileformat.values import IDENT
from lichc.render.pysource import numeric_escape

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return ch
    # Everything else is escaped, so the file is plain ASCII and no YAML
    # parser can read a stray line break (U+0085, U+2028) or BOM into it.
    return numeric_escape(ch)


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text`."""
    return '"' + "".join(_escape_char(ch) for ch in text) + '"'


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Words some YAML parsers read as something other than text (YAML 1.1 and 1.2).
_RESERVED = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null"])


def yaml_key(text: str) -> str:
    """A mapping key: plain when it can only be read as this text, else quoted."""
    if _PLAIN_KEY.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return yaml_str(text)


def compose_str(text: str) -> str:
    """A YAML scalar for a compose file, where `$` must be written `$$`."""
    return yaml_str(text.replace("$", "$$"))


def compose_env_ref(name: str) -> str:
    """`"${NAME:-}"`: the variable's value from the shell running compose, or empty.

    Empty counts as unset for the generated settings (`env()`), so the default
    written in jobs.yaml still applies when the variable is not set.
    """
    if not re.fullmatch(IDENT, name):
        raise ValueError(f"not an environment variable name: {name!r}")
    return f'"${{{name}:-}}"'
