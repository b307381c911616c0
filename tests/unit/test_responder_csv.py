"""Responder CSV parsing: every rule, without a database."""

from __future__ import annotations

import pytest

from alerting.api.responder_csv import CsvFileError, decode, parse


def test_good_rows_are_parsed_with_lists_split_on_semicolons():
    rows = parse("ID, Name ,Groups,Skills\nann,Ann Lee,staff; community ,bls;aed\nbob,Bob,staff,\n", max_rows=10)
    assert [(r.line, r.ok, r.body) for r in rows] == [
        (2, True, {"id": "ann", "name": "Ann Lee", "groups": ["staff", "community"], "skills": ["bls", "aed"]}),
        (3, True, {"id": "bob", "name": "Bob", "groups": ["staff"], "skills": []}),
    ]


def test_skills_column_is_optional_and_blank_lines_are_ignored():
    rows = parse("id,name,groups\n\nann,Ann,staff\n\n", max_rows=10)
    assert [(r.line, r.body["skills"]) for r in rows] == [(3, [])]


def test_bad_rows_carry_their_line_and_reason_and_do_not_stop_others():
    text = "id,name,groups\nbad id,X,staff\nann,,staff\nbob,Bob,\ncara,Cara,staff,extra\nann2,Ann,staff\n"
    rows = parse(text, max_rows=10)
    assert [(r.line, r.ok) for r in rows] == [(2, False), (3, False), (4, False), (5, False), (6, True)]
    assert rows[0].errors[0].startswith("id: String should match pattern")
    assert rows[1].errors[0].startswith("name: String should have at least 1 character")
    assert rows[2].errors[0].startswith("groups: List should have at least 1 item")
    assert rows[3].errors == ["more cells than header columns"]


def test_a_repeated_id_is_reported_against_its_first_line():
    rows = parse("id,name,groups\nann,Ann,staff\nann,Ann B,staff\n", max_rows=10)
    assert rows[1].errors == ["id: 'ann' already appears on line 2"]


def test_quoted_cells_may_hold_commas_and_newlines():
    rows = parse('id,name,groups\nann,"Lee, Ann\nMBE",staff\nbob,Bob,staff\n', max_rows=10)
    assert rows[0].body["name"] == "Lee, Ann\nMBE"
    assert rows[1].line == 4


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("name,groups\nAnn,staff\n", "lacks column(s) id"),
        ("id,name\nann,Ann\n", "lacks column(s) groups"),
        ("id,name,groups\n", "no rows"),
        ("id,name,groups\n" + "r,R,staff\n" * 3, "more than 2 rows"),
    ],
)
def test_unusable_files_are_refused_whole(text, message):
    with pytest.raises(CsvFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text, max_rows=2)


def test_decode_accepts_a_utf8_byte_order_mark_and_refuses_other_encodings():
    assert decode("\ufeffid,name,groups\n".encode()) == "id,name,groups\n"
    with pytest.raises(CsvFileError, match="not UTF-8"):
        decode("id,name,groups\nzoë,Zoë,staff\n".encode("latin-1"))


def test_groups_may_be_named_by_id_or_by_name_in_any_case():
    groups = {"staff": "Staff", "cfr": "Community responders", "cfr2": "Twins", "cfr3": "twins "}
    text = (
        "id,name,groups\nann,Ann,staff;community RESPONDERS \nbob,Bob,cfr;Community responders\n"
        "cat,Cat,Twins\ndan,Dan,cfr2\neve,Eve,ghosts\n"
    )
    rows = parse(text, max_rows=10, groups=groups)
    assert [(r.responder_id, r.body["groups"] if r.body else r.errors) for r in rows] == [
        ("ann", ["staff", "cfr"]),
        ("bob", ["cfr"]),  # the same group twice is once
        ("cat", ["groups: 'Twins' is the name of several groups (cfr2, cfr3); use the id"]),
        ("dan", ["cfr2"]),
        ("eve", ["ghosts"]),  # unknown: left for the responder's creation to refuse by id
    ]
    assert not rows[2].ok


def test_an_id_wins_over_another_groups_name():
    rows = parse("id,name,groups\nann,Ann,staff\n", max_rows=10, groups={"staff": "Paid", "x": "staff"})
    assert rows[0].body["groups"] == ["staff"]
