import datetime as dt

from app import i18n


def test_locale_choice_order() -> None:
    assert i18n.choose_locale("en", "vi", "vi") == "en"
    assert i18n.choose_locale(None, "en", "vi") == "en"
    assert i18n.choose_locale(None, None, "en-US,en;q=0.8") == "en"
    assert i18n.choose_locale(None, "xx", "de-DE") == "vi"
    assert i18n.choose_locale(None, None, None) == "vi"


def test_dates_and_times_show_in_vietnam_time() -> None:
    token = i18n.set_locale("vi")
    try:
        late_utc = dt.datetime(2026, 11, 22, 20, 30, tzinfo=dt.UTC)
        assert i18n.datetime(late_utc) == "23/11/2026 03:30"
        assert i18n.date(dt.date(2026, 11, 22)) == "22/11/2026"
        assert i18n.money(1500000) == "1.500.000 ₫"
    finally:
        i18n.reset_locale(token)


def test_money_in_english() -> None:
    token = i18n.set_locale("en")
    try:
        assert i18n.money(1500000) == "₫1,500,000"
    finally:
        i18n.reset_locale(token)
