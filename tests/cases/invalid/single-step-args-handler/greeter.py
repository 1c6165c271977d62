"""The handler module of this case: `greet` needs a `greeting` Welcome's
args never pass, and takes no `title`, which Greet's args pass."""


def greet(greeting: str, name: str) -> str:
    """Greets by name."""
    return f"{greeting}, {name}"


def greet_times(
    greeting: str, name: "str", times: int, loud: bool, ratio: float
) -> str:
    """Greets a number of times; `greeting`, `times` and `loud` get literals
    of another type (`ratio: float` takes an int)."""
    return " ".join([f"{greeting}, {name}"] * times)
