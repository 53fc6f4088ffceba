"""The import graph (`bench/imports.py`, read with `ast`): no cycle between components
beyond the models' foreign keys, none between modules, and the layers stay apart."""

from bench.imports import component_graph, cycles, module_graph

DOMAIN = {"provisions", "provisions.api", "actors", "actors.api", "exchange", "dashboard", "editors"}


def test_no_cycle_between_components():
    assert cycles(component_graph()) == []


def test_no_cycle_between_modules():
    assert cycles(module_graph()) == []


def test_history_imports_no_domain_app():
    assert component_graph().get("history", set()) & DOMAIN == set()


def test_the_shared_api_package_imports_no_app_but_history():
    assert component_graph().get("api", set()) <= {"history"}


def test_actors_presentation_does_not_import_provisions_presentation():
    graph = component_graph()
    for source in ("actors", "actors.api"):
        assert graph.get(source, set()) & {"provisions.api", "dashboard"} == set(), source


def test_no_domain_app_imports_the_dashboard():
    graph = component_graph()
    assert [source for source, targets in graph.items() if "dashboard" in targets] == ["config"]


def test_a_cycle_is_found_when_one_comes_back():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
