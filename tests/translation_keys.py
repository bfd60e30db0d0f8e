"""Which translation keys the integration's code uses, found by reading its source (no imports)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COMPONENT = Path(__file__).parents[1] / "custom_components" / "mlwatch"
BASE_ERROR = "MlwatchError"
ENTITY_PLATFORMS = {"binary_sensor", "event", "image", "sensor"}
FLOW_ERRORS = {
    "config_flow": "config.error",
    "local_flow": "config.error",
    "remote_flow": "config.error",
    "options": "options.error",
}

type Key = tuple[str, str]


@dataclass
class _Module:
    name: str
    package: list[str]
    tree: ast.Module
    constants: dict[str, str] = field(default_factory=dict)


def _modules() -> dict[str, _Module]:
    modules = {}
    for path in sorted(COMPONENT.rglob("*.py")):
        parts = path.relative_to(COMPONENT).with_suffix("").parts
        package = list(parts[:-1])
        name = ".".join(package if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _Module(name, package, tree)
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    text = node.value.value
                    module.constants.update(
                        {t.id: text for t in targets if isinstance(t, ast.Name)}
                    )
        modules[name] = module
    return modules


def _imports(module: _Module, names: set[str]) -> set[str]:
    """The package modules this one imports (also inside functions: lazy imports count)."""
    found = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module.package[: len(module.package) - node.level + 1]
            target = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                for candidate in (".".join([*target, alias.name]), ".".join(target)):
                    if candidate in names:
                        found.add(candidate)
                        break
    return found


def _closure(start: str, modules: dict[str, _Module]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _imports(modules[name], set(modules))
    return seen


def _class_key(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and any(isinstance(t, ast.Name) and t.id == "key" for t in stmt.targets)
        ):
            return str(stmt.value.value)
    return None


def _error_keys(modules: dict[str, _Module]) -> dict[str, str]:
    """Every MlwatchError subclass and its `key` (inherited where the class sets none)."""
    bases: dict[str, str] = {}
    keys: dict[str, str] = {}
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef) and node.bases:
                base = node.bases[0]
                bases[node.name] = base.id if isinstance(base, ast.Name) else ""
                if (key := _class_key(node)) is not None:
                    keys[node.name] = key

    def key_of(name: str) -> str | None:
        while name and name not in keys:
            name = bases.get(name, "")
        return keys.get(name)

    def is_error(name: str) -> bool:
        while name and name != BASE_ERROR:
            name = bases.get(name, "")
        return name == BASE_ERROR

    return {n: k for n in bases if n != BASE_ERROR and is_error(n) and (k := key_of(n))}


def _text(node: ast.AST | None, module: _Module, modules: dict[str, _Module]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in module.constants:
            return module.constants[node.id]
        return next(
            (m.constants[node.id] for m in modules.values() if node.id in m.constants), None
        )
    return None


def _uses_error_key(node: ast.AST | None) -> bool:
    return node is not None and any(
        isinstance(n, ast.Attribute) and n.attr == "key" for n in ast.walk(node)
    )


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _section_of_call(call: ast.Call, module: _Module) -> str:
    name = _call_name(call)
    if name == "async_create_issue":
        return "issues"
    if name.endswith("SelectorConfig"):
        return "selector"
    if name.endswith(("EntityDescription", "Description")) or any(
        kw.arg == "key" for kw in call.keywords
    ):
        return f"entity.{module.name}"
    return "exceptions"


def _key_parameters(modules: dict[str, _Module]) -> dict[str, tuple[int, str]]:
    """Functions that pass one of their parameters on as a `translation_key`."""
    found: dict[str, tuple[int, str]] = {}
    for module in modules.values():
        for fn in ast.walk(module.tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                for kw in call.keywords:
                    if kw.arg == "translation_key":
                        names = {n.id for n in ast.walk(kw.value) if isinstance(n, ast.Name)}
                        found.update((fn.name, (params.index(p), p)) for p in names & set(params))
    return found


class _Scan:
    def __init__(self) -> None:
        self.modules = _modules()
        self.errors = _error_keys(self.modules)
        self.keys: dict[Key, str] = {}

    def add(self, section: str, key: str | None, module: _Module, node: ast.AST) -> None:
        if key is not None:
            line = getattr(node, "lineno", 0)
            self.keys.setdefault((section, key), f"{module.name or '__init__'}:{line}")

    def run(self) -> dict[Key, str]:
        params = _key_parameters(self.modules)
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call):
                    self._call(node, module, params)
                elif isinstance(node, ast.ClassDef):
                    self._entity_class(node, module)
            if module.name in FLOW_ERRORS:
                self._flow_errors(module)
            if module.name == "config_flow":
                self._flow_aborts(module)
        self._services()
        return self.keys

    def _call(self, call: ast.Call, module: _Module, params: dict[str, tuple[int, str]]) -> None:
        for kw in call.keywords:
            if kw.arg == "translation_key":
                section = _section_of_call(call, module)
                self.add(section, _text(kw.value, module, self.modules), module, call)
                if _uses_error_key(kw.value):
                    # Any error may arrive here: each one's key needs a message.
                    for key in self.errors.values():
                        self.add(section, key, module, call)
            if kw.arg == "reason" and _call_name(call) == "async_abort":
                reason = _text(kw.value, module, self.modules)
                # A repair flow's aborts belong to the issues it fixes.
                for section in self._abort_sections(module):
                    self.add(section, reason, module, call)
        if (name := _call_name(call)) in params:
            index, param = params[name]
            args = [*call.args, *(kw.value for kw in call.keywords if kw.arg == param)]
            arg = (
                args[index] if len(call.args) > index else next(iter(args[len(call.args) :]), None)
            )
            self.add("exceptions", _text(arg, module, self.modules), module, call)
        if name == "_abort_if_unique_id_configured":
            self.add("config.abort", "already_configured", module, call)

    def _abort_sections(self, module: _Module) -> list[str]:
        if module.name != "repairs":
            return ["config.abort"]
        issues = [
            _text(kw.value, module, self.modules)
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Call) and _call_name(node) == "async_create_issue"
            for kw in node.keywords
            if kw.arg == "translation_key"
        ]
        return [f"issues.{issue}.fix_flow.abort" for issue in issues]

    def _entity_class(self, cls: ast.ClassDef, module: _Module) -> None:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_attr_translation_key" for t in stmt.targets
            ):
                self.add(
                    f"entity.{module.name}", _text(stmt.value, module, self.modules), module, stmt
                )

    def _flow_aborts(self, module: _Module) -> None:
        nodes = list(ast.walk(module.tree))
        finish = [
            n
            for n in nodes
            if isinstance(n, ast.Call) and _call_name(n) == "async_update_reload_and_abort"
        ]
        steps = {n.name for n in nodes if isinstance(n, ast.AsyncFunctionDef)}
        for source in ("reauth", "reconfigure"):
            # HA names the reason after the flow's source.
            if finish and any(s.startswith(f"async_step_{source}") for s in steps):
                self.add("config.abort", f"{source}_successful", module, finish[0])

    def _flow_errors(self, module: _Module) -> None:
        section = FLOW_ERRORS[module.name]
        reachable = _closure(module.name, self.modules)
        referenced = set()
        for name in reachable:
            tree = self.modules[name].tree
            # Naming a class as another's base is not using it.
            bases = {id(b) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for b in c.bases}
            referenced |= {
                n.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Name) and n.id in self.errors and id(n) not in bases
            }
        for node in ast.walk(module.tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                first = node.value.elts[0]
                values = first.values if isinstance(first, ast.Dict) else []
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                target = node.targets[0].value
                values = (
                    [node.value] if isinstance(target, ast.Name) and target.id == "errors" else []
                )
            for value in values:
                self.add(section, _text(value, module, self.modules), module, node)
                if _uses_error_key(value):
                    # Errors the flow's own code (and what it imports) can raise reach the form.
                    for cls in sorted(referenced):
                        self.add(section, self.errors[cls], module, node)

    def _services(self) -> None:
        services: dict[str, Any] = yaml.safe_load((COMPONENT / "services.yaml").read_text())
        for service, spec in services.items():
            self.keys.setdefault(("services", service), "services.yaml")
            for name in (spec or {}).get("fields", {}):
                self.keys.setdefault((f"services.{service}.fields", name), "services.yaml")


def used_keys() -> dict[Key, str]:
    """Each (section, key) the code or services.yaml uses, with where it is first used."""
    return _Scan().run()


def _has(strings: dict[str, Any], section: str, key: str) -> bool:
    node: Any = strings
    for part in [*section.split("."), key]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def missing_keys(strings: dict[str, Any]) -> list[str]:
    """'section: key (used at module:line)' for each used key that `strings` lacks."""
    return [
        f"{section}: {key} (used at {where})"
        for (section, key), where in sorted(used_keys().items())
        if not _has(strings, section, key)
    ]
