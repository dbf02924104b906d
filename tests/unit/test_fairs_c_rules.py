"""Pure parts of the call and the applications: when the call is open, question and answer checks, the
application form's checks, reading a form, the fair's clock, CSV cells."""

from __future__ import annotations

import datetime as dt

import pytest

from app.fairs.applications import (
    ApplicationInput,
    CallState,
    answer_field,
    call_state,
    clean_answers,
    clean_application,
    clean_question,
    csv_bytes,
    fair_local,
    parse_choices,
)
from app.fairs.models import CallQuestion, Fair, FairStatus, QuestionKind

NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
END = NOW + dt.timedelta(days=10)


@pytest.mark.parametrize(
    ("status", "deadline", "now", "state"),
    [
        (FairStatus.OPEN, NOW + dt.timedelta(seconds=1), NOW, CallState.OPEN),
        (FairStatus.OPEN, NOW, NOW, CallState.PAST_DEADLINE),  # the deadline itself is too late
        (FairStatus.OPEN, None, NOW, CallState.OPEN),
        (FairStatus.OPEN, None, END, CallState.PAST_DEADLINE),  # no deadline: until the fair ends
        (FairStatus.DRAFT, NOW + dt.timedelta(days=1), NOW, CallState.NOT_OPEN),
        (FairStatus.PUBLISHED, NOW + dt.timedelta(days=1), NOW, CallState.NOT_OPEN),
        (FairStatus.RUNNING, None, NOW, CallState.NOT_OPEN),
        (
            FairStatus.OPEN,
            (NOW + dt.timedelta(hours=1)).replace(tzinfo=None),
            NOW,
            CallState.OPEN,
        ),  # naive = UTC
    ],
)
def test_the_call_is_open_while_the_fair_is_open_and_before_the_deadline(
    status: FairStatus, deadline: dt.datetime | None, now: dt.datetime, state: CallState
) -> None:
    assert call_state(status, deadline, END, now) == state


def test_choices_are_one_a_line_without_blanks_or_repeats() -> None:
    assert parse_choices("  Nhỏ \n\nVừa\r\nnhỏ\n  Lớn   lắm ") == ["Nhỏ", "Vừa", "Lớn lắm"]


def test_a_good_question_is_cleaned() -> None:
    fields, errors = clean_question(
        {"kind": "choice", "prompt_vi": " Quy mô ", "choices": "A\nB", "required": "on"}
    )
    assert errors == {} and fields is not None
    assert (fields.kind, fields.prompt_vi, fields.choices, fields.required) == (
        QuestionKind.CHOICE,
        "Quy mô",
        ["A", "B"],
        True,
    )
    text, _ = clean_question({"kind": "text", "prompt_vi": "Hỏi", "choices": "ignored\nhere"})
    assert text is not None and text.choices == [] and not text.required


def _questions() -> list[CallQuestion]:
    return [
        CallQuestion(id=1, kind=QuestionKind.TEXT, prompt_vi="Mô tả", choices=[], required=True),
        CallQuestion(
            id=2, kind=QuestionKind.CHOICE, prompt_vi="Điện", choices=["Có", "Không"], required=False
        ),
        CallQuestion(id=3, kind=QuestionKind.YES_NO, prompt_vi="Livestream", choices=[], required=True),
    ]


def test_answers_are_checked_and_required_ones_only_to_submit() -> None:
    questions = _questions()
    answers, errors = clean_answers(questions, {1: " Kẹo ", 2: "Có", 3: "no"}, submitting=True)
    assert errors == {} and answers == {1: "Kẹo", 2: "Có", 3: "no"}
    _, errors = clean_answers(questions, {}, submitting=True)
    assert set(errors) == {answer_field(1), answer_field(3)}
    answers, errors = clean_answers(questions, {}, submitting=False)
    assert errors == {} and answers == {}
    _, errors = clean_answers(questions, {2: "Có lẽ", 3: "có"}, submitting=False)
    assert set(errors) == {answer_field(2), answer_field(3)}
    _, errors = clean_answers(questions, {1: "x" * 2001}, submitting=False)
    assert set(errors) == {answer_field(1)}
    answers, _ = clean_answers(questions, {99: "a question of another fair"}, submitting=False)
    assert answers == {}


def test_the_application_form_is_checked() -> None:
    data = ApplicationInput(
        booth_type_id="7", booth_count="2", product_ids=("5", "5", "6"), answers={1: "x", 3: "yes"}
    )
    fields, errors = clean_application(
        data, booth_type_ids=[7], max_booths=2, product_ids=[5, 6], questions=_questions(), submitting=True
    )
    assert errors == {} and fields is not None
    assert fields.product_ids == [5, 6] and fields.booth_count == 2
    _, errors = clean_application(
        ApplicationInput(booth_type_id="8", booth_count="3", product_ids=("9",)),
        booth_type_ids=[7],
        max_booths=2,
        product_ids=[5],
        questions=[],
        submitting=False,
    )
    assert set(errors) == {"booth_type_id", "booth_count", "product_id"}


def test_a_form_is_read_with_repeated_products_and_numbered_answers() -> None:
    data = ApplicationInput.from_form(
        {
            "producer_id": " 3 ",
            "product_id": ["4", " ", "5"],
            "answer_12": " yes ",
            "answer_x": "ignored",
            "answer_1234567890": "too long an id",
            "same_province_together": "1",
            "booth_count": ["1", "2"],
        }
    )
    assert data.producer_id == "3" and data.product_ids == ("4", "5") and data.answers == {12: "yes"}
    assert data.same_province_together and data.booth_count == "2"


def test_times_are_shown_on_the_fairs_clock() -> None:
    fair = Fair(timezone="Asia/Ho_Chi_Minh")
    assert fair_local(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), fair) == "20/11/2026 17:00"
    assert fair_local(None, fair) == ""
    assert fair_local(dt.datetime(2026, 11, 20, 10, 0), Fair(timezone="Nowhere/City")) == "20/11/2026 17:00"


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    text = csv_bytes([["a", "=1+1", "+84 912", "-3", "@x", 5, "Hà Nội"]]).decode("utf-8")
    assert text == "\ufeffa,'=1+1,'+84 912,'-3,'@x,5,Hà Nội\r\n"
