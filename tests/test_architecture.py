"""The layout the README describes, read from the code: platform ← core ← areas in one order ←
the app wiring, no import cycle, every area registered, no template that pulls in a partial
which may be missing.

The import graph holds every `import` and `from … import` of a module under intranet/, those
inside functions included: an import deferred into a function is still a dependency."""

import ast
import functools
import re
from pathlib import Path

import pytest
from jinja2 import meta

from intranet.core import areas

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "intranet"

# Lower first; an area may import the areas before it, never one after it: the order
# create_app walks (the registry's list is the one place it is written).
AREAS = areas.AREAS
# The app wiring: may import everything, and only itself, tests and app.py import it: these
# modules, and every module of the schema history and of the backups (run by the CLI only).
WIRING = {"intranet", "intranet.cli", "intranet.models", "intranet.demo"}
WIRING_PACKAGES = ("migrations", "backup")
# Packages under intranet/ that are no area: infrastructure, shared pieces, the wiring's.
NOT_AREAS = {"platform", "core", *WIRING_PACKAGES}
# Where a page shows what other areas offer (`core.areas.SLOTS`).
SLOTS = ("account_page", "meeting_page", "organization_page")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(node, module: str, is_package: bool) -> list[str]:
    """The module names one import statement names (before resolving to known modules)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _resolve(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """module → the intranet modules it imports (`from a import b` counts as a.b when b is a
    module, else as a)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = _imported(node, module, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom) and names[:-1]:
                # `from a import b`: the submodule a.b where it is one, else a itself.
                found = {_resolve(n, modules) for n in names[:-1]}
                names = [n for n in found if n]
            for name in names:
                if name == "intranet" or name.startswith("intranet."):
                    target = _resolve(name, modules)
                    if target and target != module:
                        targets.add(target)
        graph[module] = targets
    return graph


def layer(module: str) -> str:
    """'platform', 'core', 'wiring' or the area's name."""
    if module in WIRING or module.split(".")[1] in WIRING_PACKAGES:
        return "wiring"
    return module.split(".")[1]


def _edges():
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            yield module, target


def test_platform_imports_neither_core_nor_an_area():
    wrong = [f"{m} → {t}" for m, t in _edges() if layer(m) == "platform" and layer(t) != "platform"]
    assert wrong == []


def test_core_imports_no_area():
    wrong = [
        f"{m} → {t}"
        for m, t in _edges()
        if layer(m) == "core" and layer(t) not in ("core", "platform")
    ]
    assert wrong == []


def test_an_area_imports_only_areas_below_it():
    wrong = []
    for module, target in _edges():
        source, dest = layer(module), layer(target)
        if source not in AREAS or dest in (source, "core", "platform"):
            continue
        if dest not in AREAS or AREAS.index(dest) > AREAS.index(source):
            wrong.append(f"{module} → {target}")
    assert wrong == [], f"the order is {' < '.join(AREAS)}"


def test_only_the_wiring_imports_the_wiring():
    wrong = [f"{m} → {t}" for m, t in _edges() if layer(t) == "wiring" and layer(m) != "wiring"]
    assert wrong == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_between_modules():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_package_is_a_registered_area():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages - NOT_AREAS == set(AREAS)
    for area in AREAS:
        tree = ast.parse((PACKAGE / area / "__init__.py").read_text(encoding="utf-8"))
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "register" in functions, f"intranet/{area}/__init__.py has no register(app)"


def test_the_registry_and_create_app_use_this_order(app):
    assert tuple(areas.SLOTS) == SLOTS
    assert set(app.blueprints) == set(AREAS)


def test_nothing_is_imported_for_its_side_effect():
    marked = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"noqa: *F401", line)
    ]
    assert marked == []


def test_no_template_includes_what_may_be_missing():
    found = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if "ignore missing" in path.read_text(encoding="utf-8")
    ]
    assert found == []


def _template_area(name: str) -> str | None:
    """The area a template belongs to (templates/<area>/…), or None for a shared one."""
    folder, _slash, rest = name.partition("/")
    return folder if rest and folder in AREAS else None


def upward_template_references(env, root: Path) -> list[str]:
    """Every `extends`, `include`, `import` and `from` of a template under `root` that names a
    template of a higher area, or (from a shared template) of any area. A name the template
    computes (`{% include partial %}`, the slots) is not read: it comes from the registry."""
    wrong = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        source = _template_area(name)
        for target in meta.find_referenced_templates(env.parse(path.read_text(encoding="utf-8"))):
            dest = _template_area(target) if target else None
            if dest is None or dest == source:
                continue
            if source is None or AREAS.index(dest) > AREAS.index(source):
                wrong.append(f"{name} → {target}")
    return wrong


def test_no_template_reaches_into_a_higher_area(app):
    wrong = upward_template_references(app.jinja_env, ROOT / "templates")
    assert wrong == [], (
        f"the order is {' < '.join(AREAS)}; a piece several areas use belongs in templates/ "
        "outside the area folders"
    )


def test_the_template_check_finds_upward_references(app, tmp_path):
    pages = {
        "directory/page.html": '{% extends "admin/_frame.html" %}',
        "privacy/page.html": '{% import "auth/_macros.html" as m %}{% include "privacy/_a.html" %}',
        "_shared.html": '{% from "minutes/_macros.html" import f %}{% include "_nav.html" %}',
        "admin/page.html": '{% include "directory/_part.html" %}{% include partial %}',
        "minutes/page.html": '{% from "attachments/_macros.html" import file_list %}',
    }
    root = tmp_path / "templates"
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    assert upward_template_references(app.jinja_env, root) == [
        "_shared.html → minutes/_macros.html",
        "directory/page.html → admin/_frame.html",
        "privacy/page.html → auth/_macros.html",
    ]


@pytest.mark.parametrize("slot", SLOTS)
def test_every_slot_has_partials_that_exist(app, slot):
    from intranet.core import areas

    offered = areas.registry(app).slots[slot]
    assert offered
    for template in offered:
        app.jinja_env.get_template(template)  # raises for a missing one


def test_a_page_asking_for_an_unknown_slot_fails_loudly(app):
    with app.test_request_context(), pytest.raises(KeyError):
        app.jinja_env.from_string('{% for p in partials("meetings_page") %}{% endfor %}').render()


def test_items_are_named_through_one_ref():
    """Audit targets, mail subjects' items and summary entries name an item as "meeting:12",
    read back by kind (audit filter, mail rules, exports): written only by `core.ids.ref`, so
    that no copy drifts (a space, a different kind spelling)."""
    kinds = "|".join(
        ("meeting", "minutes", "minutes_section", "agenda_item", "series", "account",
         "organization", "person", "attachment", "barrier_report")
    )  # fmt: skip
    hand_written = re.compile(rf'f"(?:{kinds}):\{{[^{{}}"]+\}}"')
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "intranet").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hand_written.search(line)
    ]
    assert found == []


# A module the next maintainer reads in one sitting: at most this many lines.
LONGEST_MODULE = 520
# Modules allowed to be longer. A module may only be listed here with the reason it cannot be
# split written beside it, and leaves the list once it is split.
LONG_MODULES: set[str] = set()


def test_no_module_is_longer_than_one_sitting():
    long = {
        str(path.relative_to(ROOT)): count
        for path in sorted(PACKAGE.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert {name: count for name, count in long.items() if name not in LONG_MODULES} == {}


# A list of every organisation for a filter or a choice list, built from a query of its own.
_OWN_ORGANIZATION_LIST = re.compile(
    r"(?:list\(\s*|for \w+ in )Organization\.select\([^)]*\)\s*\.order_by\(Organization\.name\)"
)


def test_filters_and_choice_lists_take_the_one_list_of_organisations():
    """Seven places once built the same list; `core.accounts.organizations_by_name()` is the
    one compiled query for it. This names the next copy."""
    copies = [
        f"{path.relative_to(ROOT)}"
        for path in PACKAGE.rglob("*.py")
        if _OWN_ORGANIZATION_LIST.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
    assert _OWN_ORGANIZATION_LIST.search(
        "[SelectChoice(o.id, o.name) for o in Organization.select().order_by(Organization.name)]"
    )


# A list that joins the section (the agenda item) asks the sub-select of every visible one.
# (The sub-select of agenda items stays as the rule's SQL twin for tests; the OParl file list
# once called it into a variable and asked `IN` of that.)
_VISIBLE_IDS_SUBSELECT = re.compile(
    r"visible_sections\([^()]*\)\s*\.select\(|(?<!def )visible_agenda_items\("
)


def test_lists_check_section_and_agenda_item_visibility_on_the_rows_they_join():
    """The decision register asked `Decision.section IN (<ids of every visible section>)`, and
    SQLite looked the list up again for every set of minutes it read (130 ms of SQL at ten
    times the demo's data). A query that joins the section or the agenda item takes
    `minutes.access.section_visibility` / `meetings.access.agenda_item_visibility` on its
    rows (tests/test_growth.py measures it). This names the next copy of the sub-select."""
    copies = [
        f"{path.relative_to(ROOT)}"
        for path in PACKAGE.rglob("*.py")
        if _VISIBLE_IDS_SUBSELECT.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
    assert _VISIBLE_IDS_SUBSELECT.search("visible_sections(account).select(MinutesSection.id)")
    assert _VISIBLE_IDS_SUBSELECT.search(
        "AgendaItem.id.in_(meetings_access.visible_agenda_items(account))"
    )
    assert _VISIBLE_IDS_SUBSELECT.search("items = meetings_access.visible_agenda_items(account)")
    assert not _VISIBLE_IDS_SUBSELECT.search("def visible_agenda_items(account):")
