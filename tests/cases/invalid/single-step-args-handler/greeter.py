"""The handler module of this case: `greet` needs a `greeting` Welcome's
args never pass, and takes no `title`, which Greet's args pass."""


def greet(greeting: str, name: str) -> str:
    """Greets by name."""
    return f"{greeting}, {name}"
