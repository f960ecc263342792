"""Classes and call signatures read from source with ast: for the seam test and the fakes'
comparison with the MicroPython stubs. Read, not imported, so MicroPython-only modules (the HAL,
the fake `machine` modules, the virtual board's) and .pyi stubs are read the same way as the
simulator's CPython code."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = "<required>"  # a parameter without a default
NOT_LITERAL = "<not a literal>"  # a default that is an expression (or `...` in a stub)

# Parameter kinds, as a call sees them.
POSITIONAL = "positional-only"
EITHER = "positional or keyword"
KEYWORD = "keyword-only"
VARARGS = "*args"
VARKW = "**kwargs"


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: object = REQUIRED

    def __str__(self) -> str:
        if self.kind == VARARGS:
            return f"*{self.name}"
        if self.kind == VARKW:
            return f"**{self.name}"
        text = self.name
        if self.default is not REQUIRED:
            text += "=" + ("..." if self.default is NOT_LITERAL else repr(self.default))
        return text


@dataclass(frozen=True)
class Signature:
    params: tuple[Param, ...]
    is_async: bool = False

    def __str__(self) -> str:
        parts = []
        keyword_marked = False
        for p in self.params:
            if p.kind == KEYWORD and not keyword_marked:
                parts.append("*")
                keyword_marked = True
            if p.kind == VARARGS:
                keyword_marked = True
            parts.append(str(p))
            if p.kind == POSITIONAL and (
                p is self.params[-1] or self.params[self.params.index(p) + 1].kind != POSITIONAL
            ):
                parts.append("/")
        return ("async " if self.is_async else "") + "(" + ", ".join(parts) + ")"

    def positional(self) -> list[Param]:
        return [p for p in self.params if p.kind in (POSITIONAL, EITHER)]

    def by_keyword(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.kind in (EITHER, KEYWORD)}

    def has(self, kind: str) -> bool:
        return any(p.kind == kind for p in self.params)


def _default(node: ast.expr | None) -> object:
    if node is None:
        return REQUIRED
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return NOT_LITERAL
    return NOT_LITERAL if value is Ellipsis else value


def signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool) -> Signature:
    """A function's parameters as a caller sees them (a method's `self` left out)."""
    args = fn.args
    decorators = {ast.unparse(d) for d in fn.decorator_list}
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = []
    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = POSITIONAL if i < len(args.posonlyargs) else EITHER
        # old-style positional-only parameters in stubs: a name starting with two underscores
        if kind == EITHER and arg.arg.startswith("__") and not arg.arg.endswith("__"):
            kind = POSITIONAL
        params.append(Param(arg.arg, kind, _default(default)))
    if args.vararg:
        params.append(Param(args.vararg.arg, VARARGS))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(Param(arg.arg, KEYWORD, _default(default)))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, VARKW))
    if method and "staticmethod" not in decorators and params:
        params = params[1:]  # self (or cls)
    return Signature(tuple(params), isinstance(fn, ast.AsyncFunctionDef))


@dataclass
class ClassInfo:
    name: str
    path: Path
    line: int
    bases: list[str]  # as written: "seam.BaseBoard", "BaseBoard", "FakeBoard"
    methods: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = field(default_factory=dict)
    values: dict[str, ast.expr | None] = field(default_factory=dict)  # class-level names

    def signatures(self, name: str) -> list[Signature]:
        """The method's signature (several for a stub's @overload variants)."""
        return [signature(fn, method=True) for fn in self.methods.get(name, [])]

    def public(self) -> set[str]:
        return {n for n in (*self.methods, *self.values) if not n.startswith("_")}


@dataclass
class ModuleInfo:
    path: Path
    classes: dict[str, ClassInfo]
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]
    values: dict[str, ast.expr | None]  # module-level names assigned (or annotated)
    imports: dict[str, tuple[int, str, str]]  # from X import Y as Z: Z -> (level, X, Y)


def _body(nodes, methods, values):
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            methods.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            values[node.target.id] = node.value


def read_module(path: Path) -> ModuleInfo:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = {}
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    values: dict[str, ast.expr | None] = {}
    imports = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            info = ClassInfo(node.name, path, node.lineno, [ast.unparse(b) for b in node.bases])
            _body(node.body, info.methods, info.values)
            classes[node.name] = info
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports[alias.asname or alias.name] = (node.level, node.module or "", alias.name)
    _body(tree.body, functions, values)
    return ModuleInfo(path, classes, functions, values, imports)


def literal(node: ast.expr | None) -> object:
    """The value of a literal expression; NOT_LITERAL otherwise (and for a bare annotation)."""
    return _default(node) if node is not None else NOT_LITERAL
