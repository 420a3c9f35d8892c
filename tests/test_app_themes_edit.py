"""Editing themes and pinning quotes on the Themes page (AppTest on the demo project).

The demo project and the page helpers come from test_app_pages (pytest finds the
imported `demo` fixture here; this module gets its own copy of the project). Each test
uses its own theme names, so they can run in any order on the shared project.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.codebook import current_codebook
from qualcode.store import Project
from qualcode.themes.catalog import create_theme, get_theme, list_themes
from qualcode.themes.explore import coded_segments
from qualcode.themes.quotes import illustrative_quotes

from .conftest import rows
from .test_app_pages import click, demo, open_page, page_text, plain

__all__ = ["demo"]  # the fixture, imported for pytest

ALL = {"themes_layer": "all"}


def _submit(at: AppTest, label: str) -> AppTest:
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _by_name(project: Project, name: str):
    return next((t for t in list_themes(project) if t.name == name), None)


def _themes_page(monkeypatch: pytest.MonkeyPatch, project: Project, coder: str,
                 role: str = "coder") -> AppTest:  # fmt: skip
    return open_page(monkeypatch, project, "themes", coder=coder, role=role, state=ALL)


def test_new_theme_form_stores_it_and_logs_who(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = _themes_page(monkeypatch, demo, "tina")
    at.text_input(key="theme_new_name").set_value("Feeling safe at home")
    at.text_area(key="theme_new_definition").set_value("Where young people feel safe.")
    at.text_input(key="theme_new_concept").set_value("Safety as belonging")
    at.selectbox(key="theme_new_status").set_value("reviewed")
    at.multiselect(key="theme_new_codes").set_value(["safety"])
    _submit(at, "Create theme")
    theme = _by_name(demo, "Feeling safe at home")
    assert theme is not None
    assert (theme.status, theme.codes, theme.parent) == ("reviewed", ["safety"], None)
    assert theme.definition == "Where young people feel safe."
    assert theme.central_concept == "Safety as belonging"
    assert f"Theme {theme.id} created: Feeling safe at home." in page_text(at)
    logged = rows(
        demo,
        "SELECT actor, detail FROM action_log WHERE action = 'theme.create' ORDER BY id DESC "
        "LIMIT 1",
    )[0]
    assert logged[0] == "tina" and json.loads(logged[1])["name"] == "Feeling safe at home"
    assert "Feeling safe at home" in "\n".join(h.proto.body for h in at.get("html"))


def test_a_subtheme_gets_its_parent(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    parent = create_theme(demo, "Parent for the form", "tina")  # a coder nests under their own
    at = _themes_page(monkeypatch, demo, "tina")
    at.text_input(key="theme_new_name").set_value("Child from the form")
    at.selectbox(key="theme_new_parent").set_value(parent.id)
    _submit(at, "Create theme")
    assert _by_name(demo, "Child from the form").parent == parent.id


def test_a_duplicate_name_shows_one_line_and_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    create_theme(demo, "Taken name", "lib")
    before = len(list_themes(demo))
    at = _themes_page(monkeypatch, demo, "tina")
    at.text_input(key="theme_new_name").set_value("taken NAME")
    _submit(at, "Create theme")
    assert len(list_themes(demo)) == before
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "a theme named 'taken NAME' already exists" in errors[0]
    assert "\n" not in errors[0] and "Traceback" not in page_text(at)


def test_editing_status_and_codes_changes_exactly_those(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    theme = create_theme(
        demo, "To be edited", "edith", definition="Kept as it is.", central_concept="Kept too",
        codes=["safety"],
    )  # fmt: skip
    at = _themes_page(monkeypatch, demo, "edith")
    at.selectbox(key="theme_chosen").set_value(theme.id)
    at.run()
    at.selectbox(key=f"theme_edit_status__{theme.id}").set_value("final")
    _submit(at, "Save")
    after = get_theme(demo, theme.id)
    assert after.status == "final"
    assert (after.name, after.definition, after.central_concept, after.codes) == (
        "To be edited", "Kept as it is.", "Kept too", ["safety"],
    )  # fmt: skip
    update = rows(
        demo,
        "SELECT actor, detail FROM action_log WHERE action = 'theme.update' ORDER BY id DESC "
        "LIMIT 1",
    )[0]
    assert update[0] == "edith"
    assert json.loads(update[1])["after"] == {"status": "final"}  # changed fields only
    assert f"Theme {theme.id} saved: status changed." in page_text(at)

    other = next(c.id for c in current_codebook(demo).codable() if c.id != "safety")
    at.multiselect(key=f"theme_codes_pick__{theme.id}").set_value([other])
    _submit(at, "Save codes")
    after = get_theme(demo, theme.id)
    assert after.codes == [other] and after.status == "final"
    assert after.definition == "Kept as it is."


def test_delete_needs_the_confirmation(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    theme = create_theme(demo, "To be deleted", "dora", codes=["safety"])
    at = _themes_page(monkeypatch, demo, "dora")
    at.selectbox(key="theme_chosen").set_value(theme.id)
    at.run()
    click(at, f"theme_delete__{theme.id}")
    assert _by_name(demo, "To be deleted") is not None
    assert "Tick the box above" in page_text(at)
    at.checkbox(key=f"theme_delete_sure__{theme.id}").check()
    click(at, f"theme_delete__{theme.id}")
    assert _by_name(demo, "To be deleted") is None
    assert rows(demo, "SELECT actor FROM action_log WHERE action = 'theme.delete' "
                "ORDER BY id DESC LIMIT 1")[0][0] == "dora"  # fmt: skip
    assert f"Theme {theme.id} deleted: To be deleted." in page_text(at)


def test_deleting_a_theme_with_subthemes_shows_one_line(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    parent = create_theme(demo, "Has a child", "dora")
    create_theme(demo, "The child", "dora", parent=parent.id)
    at = _themes_page(monkeypatch, demo, "dora")
    at.selectbox(key="theme_chosen").set_value(parent.id)
    at.run()
    at.checkbox(key=f"theme_delete_sure__{parent.id}").check()
    click(at, f"theme_delete__{parent.id}")
    assert _by_name(demo, "Has a child") is not None
    assert [plain(e.value) for e in at.error] == [
        "theme 'Has a child' has subthemes: move or delete them first"
    ]


def test_pin_and_unpin_a_segment_behind_a_cell(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    theme = create_theme(demo, "Pinned quotes here", "lib", codes=["physical_safety"])
    at = _themes_page(monkeypatch, demo, "pia", "supervisor")
    at.selectbox(key="themes_target").set_value(f"theme:{theme.id}")
    at.selectbox(key="themes_loc").set_value("Location 1")
    at.selectbox(key="themes_ses").set_value("1")
    at.run()
    prefix = f"pin__theme__{theme.id}__"
    keys = [b.key for b in at.button if b.key and b.key.startswith(prefix)]
    assert keys
    segment = int(keys[0].removeprefix(prefix))
    click(at, keys[0])
    quotes = illustrative_quotes(demo, "theme", theme.id, "all")
    assert [(q.segment_id, q.pinned) for q in quotes] == [(segment, True)]
    assert rows(demo, "SELECT pinned_by FROM pinned_quotes WHERE target_type = 'theme' "
                "AND target_id = ?", [str(theme.id)]) == [("pia",)]  # fmt: skip
    assert f"Segment {segment} pinned to 'Pinned quotes here' (quote 1)." in page_text(at)
    click(at, f"unpin__theme__{theme.id}__{segment}")
    assert not any(q.pinned for q in illustrative_quotes(demo, "theme", theme.id, "all"))
    assert any(b.key == f"pin__theme__{theme.id}__{segment}" for b in at.button)


def test_pinning_to_a_code_target(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    at = _themes_page(monkeypatch, demo, "pia", "supervisor")
    at.selectbox(key="themes_target").set_value("code:physical_safety")
    at.selectbox(key="themes_loc").set_value("Location 1")
    at.selectbox(key="themes_ses").set_value("1")
    at.run()
    key = next(
        b.key for b in at.button if b.key and b.key.startswith("pin__code__physical_safety__")
    )
    click(at, key)
    segment = int(key.rsplit("__", 1)[1])
    pinned = [
        q.segment_id
        for q in illustrative_quotes(demo, "code", "physical_safety", "all")
        if q.pinned
    ]
    assert segment in pinned
    click(at, f"unpin__code__physical_safety__{segment}")
    pinned = [
        q.segment_id
        for q in illustrative_quotes(demo, "code", "physical_safety", "all")
        if q.pinned
    ]
    assert segment not in pinned


def test_theme_text_is_shown_escaped(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    create_theme(
        demo, "<script>alert('t')</script> **bold**", "lib",
        definition="<b>defined</b> [a link](http://example.org)",
    )  # fmt: skip
    at = _themes_page(monkeypatch, demo, "tina")
    bodies = "\n".join(h.proto.body for h in at.get("html"))
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; **bold**" in bodies
    assert "&lt;b&gt;defined&lt;/b&gt; [a link](http://example.org)" in bodies
    assert "<script>" not in bodies and "<b>defined" not in bodies
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert "alert" not in markdown


def test_a_coder_pins_on_their_own_layer_only(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    at = open_page(monkeypatch, demo, "themes", coder="coder_a", role="coder",
                   state={"themes_layer": "coder:coder_a"})  # fmt: skip
    assert at.selectbox(key="themes_layer").options == ["My codings"]
    at.selectbox(key="themes_target").set_value("code:physical_safety").run()
    prefix = "pin__code__physical_safety__"
    keys = [b.key for b in at.button if b.key and b.key.startswith(prefix)]
    mine = coded_segments(
        demo.as_user("coder_a"), "coder:coder_a", "code", "physical_safety", limit=200
    )
    assert sorted(int(k.removeprefix(prefix)) for k in keys) == sorted(
        s.segment_id for s in mine
    )  # a button for each of her own segments, and no other
    segment = int(keys[0].removeprefix(prefix))
    click(at, keys[0])
    assert rows(demo, "SELECT layer, pinned_by FROM pinned_quotes WHERE target_type = 'code' "
                "AND target_id = 'physical_safety' AND segment_id = ?", [segment]) == [
        ("coder:coder_a", "coder_a")
    ]  # fmt: skip
    assert "in this layer" in page_text(at)
    # the supervisor's layers keep their own choice
    assert not any(q.pinned for q in illustrative_quotes(demo, "code", "physical_safety", "all"))
    click(at, f"unpin__code__physical_safety__{segment}")
    assert rows(demo, "SELECT count(*) FROM pinned_quotes WHERE layer = 'coder:coder_a'") == [(0,)]


def test_a_coder_cannot_change_a_theme_someone_else_created(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    theme = create_theme(demo, "Made by the supervisor", "supervisor", codes=["safety"])
    at = _themes_page(monkeypatch, demo, "cody")
    at.selectbox(key="theme_chosen").set_value(theme.id)
    at.run()
    at.selectbox(key=f"theme_edit_status__{theme.id}").set_value("final")
    _submit(at, "Save")
    assert [plain(e.value) for e in at.error] == [
        "'cody' is a coder: only a supervisor or admin can change theme 'Made by the "
        "supervisor', which supervisor created"
    ]
    assert get_theme(demo, theme.id).status == "candidate"
    at = _themes_page(monkeypatch, demo, "pia", "supervisor")
    at.selectbox(key="theme_chosen").set_value(theme.id)
    at.run()
    at.selectbox(key=f"theme_edit_status__{theme.id}").set_value("final")
    _submit(at, "Save")
    assert get_theme(demo, theme.id).status == "final"
