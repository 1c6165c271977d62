"""Stage 3: the named types of `types:` and every place a type is written.

A type name must be declared, object types may not refer to themselves
(directly or through others: a cycle), a name may not be one the generated
inputs.py already gives a job's input model, and a signal's `payload: Name`
must name an object type. A default of a named type must be one the
generated code can write as a typed literal: an enum member, null, or a list
or dict of those, empty ones included (an object's default would be a dict
where a model belongs).
"""

from __future__ import annotations

from collections.abc import Iterator

from lichc.diagnostics import Diagnostic, KeyPath
from lichc.fileformat.values import TypeExpr
from lichc.plan.ir import EnumType, InputField, ObjectType, Plan, Types
from lichc.plan.references import suggest


def type_problems(plan: Plan) -> Iterator[Diagnostic]:
    table = plan.type_table
    yield from _collisions(plan)
    yield from _cycles(plan)
    for named in plan.types:
        if isinstance(named, ObjectType):
            yield from field_types(named.fields, table)
    for job in plan.jobs:
        yield from field_types(job.inputs, table)
        for wait in job.signals:
            if wait.payload_type is not None:
                yield from _payload_type(wait.payload_type, wait.path, table)
            elif wait.payload:
                yield from field_types(wait.payload, table)


def field_types(fields: tuple[InputField, ...], table: Types) -> Iterator[Diagnostic]:
    """Unknown type names in typed fields, and defaults of named types that
    cannot be written."""
    for f in fields:
        where = (*f.path, "type") if f.has_default or f.description else f.path
        yield from unknown_names(f.type, where, table)
        if f.has_default and _object_in(f.type, f.default, table):
            yield Diagnostic(
                f"field '{f.name}' of type {f.type} cannot have a default holding an object",
                (*f.path, "default"),
                f'make it optional ("{f.type}?") and leave the default out (or use [] / {{}})',
            )


def unknown_names(
    type_: TypeExpr, where: KeyPath, table: Types
) -> Iterator[Diagnostic]:
    for name in sorted(type_.type_names()):
        if name not in table.by_name:
            yield Diagnostic(
                f"unknown type '{name}'",
                where,
                suggest(name, list(table.by_name), "types")
                if table.by_name
                else f"declare it under `types:`, e.g. types: {{{name}: {{...}}}}",
            )


def _object_in(type_: TypeExpr, value: object, table: Types) -> bool:
    """Whether `value` (a default) holds a value of a named object type."""
    if value is None:
        return False
    if type_.base == "named":
        return isinstance(table.by_name.get(str(type_.name)), ObjectType)
    if type_.item is None:
        return False
    if isinstance(value, list):
        return any(_object_in(type_.item, v, table) for v in value)
    if isinstance(value, dict):
        return any(_object_in(type_.item, v, table) for v in value.values())
    return False


def _payload_type(name: str, path: KeyPath, table: Types) -> Iterator[Diagnostic]:
    where = (*path, "wait_for", "payload")
    named = table.by_name.get(name)
    if named is None:
        yield from unknown_names(TypeExpr("named", name=name), where, table)
    elif isinstance(named, EnumType):
        yield Diagnostic(
            f"payload '{name}' is an enum; a signal's payload is an object",
            where,
            "name an object type of `types:`, or write the payload's fields",
        )


def _collisions(plan: Plan) -> Iterator[Diagnostic]:
    models = {job.input_model: job.name for job in plan.jobs}
    for named in plan.types:
        job = models.get(named.name)
        if job is not None:
            yield Diagnostic(
                f"type name '{named.name}' is the name of job {job}'s input model",
                named.path,
                "pick another name",
                on_key=True,
            )


def _cycles(plan: Plan) -> Iterator[Diagnostic]:
    """Each object type that reaches itself through its fields' types."""
    table = plan.type_table
    for named in plan.types:
        if not isinstance(named, ObjectType):
            continue
        trail = _path_back(named.name, named, table, [named.name], set())
        if trail is not None:
            yield Diagnostic(
                f"type {named.name} contains itself: {' -> '.join(trail)}",
                named.path,
                "break the cycle: a type cannot hold itself, even in a list",
                on_key=True,
            )


def _path_back(
    target: str, current: ObjectType, table: Types, trail: list[str], seen: set[str]
) -> list[str] | None:
    for f in current.fields:
        for name in sorted(f.type.type_names()):
            if name == target:
                return [*trail, name]
            named = table.by_name.get(name)
            if isinstance(named, ObjectType) and name not in seen:
                seen.add(name)
                found = _path_back(target, named, table, [*trail, name], seen)
                if found is not None:
                    return found
    return None
