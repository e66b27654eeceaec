"""Checks of computed values: derived variables, field defaults, and what decision tables answer.

A table answers durations where a duty's deadline uses it and values of a variable where a variable
is derived from it; each answer (and the table's default) must be one of those. A derived variable
is computed in the order variables are declared, so it may use only variables declared before it,
and never `now` (a value that changed by itself would be stale the moment it was stored). A
deadline asked of a table must find its inputs set when the duty is created: each is a required
start input, derived from such, or set by the record or event the duty is anchored on; otherwise
the table needs a default.
"""

from __future__ import annotations

from typing import Any

from engine.expressions import ConditionError, Kind, VarType, kind_of, parse_expression
from engine.loading.context import Context, var_type
from engine.loading.yaml_source import Path


def check_values(ctx: Context) -> None:
    variables = ctx.section("variables")
    tables = ctx.section("decision_tables")
    deadline_tables = [
        (duty["due"]["table"], path) for path, duty in ctx.stage_duties() if isinstance(duty["due"], dict)
    ]
    for table_id, table in tables.items():
        if table_id in {used for used, _ in deadline_tables}:
            _check_answers(ctx, ("decision_tables", table_id), table, None)
    order = list(variables)
    for name, body in variables.items():
        path: Path = ("variables", name)
        derive = body.get("derive")
        if derive is None:
            continue
        if "input" in body:
            ctx.add(
                (*path, "input"), f"'{name}' is derived: the engine computes it, so it is not given at start"
            )
        earlier = set(order[: order.index(name)])
        declared = var_type(body["schema"])
        if isinstance(derive, dict):
            table_id = derive["table"]
            if ctx.ref((*path, "derive", "table"), table_id, tables, "decision table"):
                table = tables[table_id]
                _check_answers(ctx, ("decision_tables", table_id), table, (name, declared))
                for index, source in enumerate(table["inputs"]):
                    _check_order(ctx, (*path, "derive", "table"), name, source, earlier, variables, index)
            continue
        if "now" in _names_in(derive):
            ctx.add(
                (*path, "derive"),
                f"'{name}' cannot be derived from now: a stored value would be stale at once "
                "(use now in a condition or a field's default instead)",
            )
            continue
        kinds = ctx.expression((*path, "derive"), derive, ctx.variable_types)
        if kinds is not None:
            _check_fits(ctx, (*path, "derive"), f"'{name}'", kinds, declared)
            for source in sorted(_variables_in(derive, variables)):
                _check_order(ctx, (*path, "derive"), name, source, earlier, variables, None)
    for path, fields in _field_sets(ctx):
        for field_name, field_body in fields.items():
            if "default" in field_body:
                where = (*path, field_name, "default")
                kinds = ctx.expression(where, field_body["default"], ctx.variable_types)
                if kinds is not None:
                    _check_fits(ctx, where, f"field '{field_name}'", kinds, var_type(field_body["schema"]))
    for table_id, duty_path in deadline_tables:
        if table_id in tables:
            _check_inputs_set(ctx, duty_path, tables[table_id], table_id)


def _check_answers(
    ctx: Context, path: Path, table: dict[str, Any], derives: tuple[str, VarType] | None
) -> None:
    """Each answer a duration (a deadline table) or a value of the variable derived from it."""
    answers = [((*path, "rows", i, "then"), row["then"]) for i, row in enumerate(table["rows"])]
    if "default" in table:
        answers.append(((*path, "default"), table["default"]))
    for where, answer in answers:
        if derives is None:
            if not isinstance(answer, str):
                ctx.add(where, f"a deadline table answers durations such as 2h, not {answer!r}")
            else:
                ctx.duration(where, answer)
            continue
        name, declared = derives
        if kind_of(answer) not in declared.kinds or (
            declared.values is not None and answer not in declared.values
        ):
            allowed = (
                f"one of {', '.join(repr(v) for v in declared.values)}"
                if declared.values is not None
                else " or ".join(sorted(k.value for k in declared.kinds))
            )
            ctx.add(where, f"{answer!r} is not a value of '{name}' ({allowed})")


def _check_fits(ctx: Context, path: Path, what: str, kinds: frozenset[Kind], declared: VarType) -> None:
    if not (kinds - {Kind.NULL}) <= declared.kinds:
        given = " or ".join(sorted(k.value for k in kinds - {Kind.NULL}))
        wanted = " or ".join(sorted(k.value for k in declared.kinds))
        ctx.add(path, f"this gives {given}, but {what} is {wanted}")


def _check_order(
    ctx: Context,
    path: Path,
    name: str,
    source: str,
    earlier: set[str],
    variables: dict[str, Any],
    index: int | None,
) -> None:
    """A derived variable uses only what is computed before it: inputs, set variables, and derived
    variables declared above it."""
    if source == name:
        ctx.add(path, f"'{name}' cannot be derived from itself")
    elif source in variables and "derive" in variables[source] and source not in earlier:
        ctx.add(path, f"'{name}' uses '{source}', which is derived after it; declare '{source}' first")


def _variables_in(text: str, variables: dict[str, Any]) -> set[str]:
    return {name for name in _names_in(text) if name in variables}


def _names_in(text: str) -> frozenset[str]:
    """The names an expression uses; none when it does not parse (that is reported where it is)."""
    try:
        return parse_expression(text).names()
    except ConditionError:
        return frozenset()


def _field_sets(ctx: Context) -> list[tuple[Path, dict[str, Any]]]:
    found: list[tuple[Path, dict[str, Any]]] = [
        (("forms", form_id, "fields"), form.get("fields", {}))
        for form_id, form in ctx.section("forms").items()
    ]
    found += [
        (("events", event_id, "data"), event.get("data", {}))
        for event_id, event in ctx.section("events").items()
    ]
    return found


def _check_inputs_set(ctx: Context, duty_path: Path, table: dict[str, Any], table_id: str) -> None:
    """A table asked for a deadline when a duty is created finds its inputs set, or has a default."""
    if "default" in table:
        return
    duty = _at(ctx, duty_path)
    settable = _set_by_anchor(ctx, duty.get("anchor", "scope_start"))
    for source in table["inputs"]:
        if not _available(ctx, source, settable, set()):
            ctx.add(
                (*duty_path, "due", "table"),
                f"decision table '{table_id}' needs '{source}', which may be unset when this duty is "
                "created: make it a required start input, anchor the duty on the record or event that "
                "sets it, or give the table a default",
            )


def _available(ctx: Context, name: str, settable: set[str], seen: set[str]) -> bool:
    variables = ctx.section("variables")
    body = variables.get(name)
    if body is None or name in seen:
        return True  # an unknown name is reported elsewhere; a cycle too
    if body.get("input") == "required" or name in settable:
        return True
    derive = body.get("derive")
    if derive is None:
        return False
    if isinstance(derive, dict):
        table = ctx.section("decision_tables").get(derive["table"])
        if table is None or "default" in table:
            return True
        sources = set(table["inputs"])
    else:
        sources = _variables_in(derive, variables)
    return all(_available(ctx, source, settable, seen | {name}) for source in sources)


def _set_by_anchor(ctx: Context, anchor: Any) -> set[str]:
    """The variables the record or event a duty is anchored on sets, before the duty is created."""
    if not isinstance(anchor, dict):
        return set()
    kind, ref = next(iter(anchor.items()))
    if kind in ("record", "field"):
        form = ctx.section("forms").get(ref.split(".")[0], {})
        return set(form.get("sets", {}))
    if kind == "event":
        return set(ctx.section("events").get(ref, {}).get("sets", {}))
    return set()


def _at(ctx: Context, path: Path) -> dict[str, Any]:
    node: Any = ctx.data
    for part in path:
        node = node[part]
    result: dict[str, Any] = node
    return result
