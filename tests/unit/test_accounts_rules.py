from app.accounts.rules import (
    CurrentUser,
    can_create_producer,
    can_manage_combo,
    can_manage_producer,
    is_valid_email,
    login_delay_seconds,
    normalize_email,
    password_problem,
)


def user(**kw: object) -> CurrentUser:
    return CurrentUser(id=1, email="a@example.com", name="A", **kw)  # type: ignore[arg-type]


def test_admin_manages_every_producer() -> None:
    assert can_manage_producer(user(is_admin=True), 5, None)


def test_vendor_manages_only_its_own_producer() -> None:
    vendor = user(vendor_of_producers=frozenset({5}))
    assert can_manage_producer(vendor, 5, None)
    assert not can_manage_producer(vendor, 6, None)


def test_cashier_does_not_manage_its_producer_catalog() -> None:
    assert not can_manage_producer(user(cashier_of_producers=frozenset({5})), 5, None)


def test_organizer_manages_producers_of_its_office_only() -> None:
    organizer = user(organizer_of=frozenset({9}))
    assert can_manage_producer(organizer, 5, 9)
    assert not can_manage_producer(organizer, 5, 8)
    assert not can_manage_producer(organizer, 5, None)


def test_anonymous_manages_nothing() -> None:
    assert not can_manage_producer(None, 5, None)
    assert not can_create_producer(None)


def test_only_admins_and_organizers_register_producers() -> None:
    assert can_create_producer(user(organizer_of=frozenset({1})))
    assert not can_create_producer(user(vendor_of_producers=frozenset({1})))


def test_showroom_vendor_manages_its_organizations_combos() -> None:
    assert can_manage_combo(user(vendor_of_orgs=frozenset({3})), None, None, 3)
    assert not can_manage_combo(user(vendor_of_orgs=frozenset({3})), None, None, 4)


def test_password_rules() -> None:
    assert password_problem("short") == "too_short"
    assert password_problem("12345678") == "too_simple"
    assert password_problem("aaaaaaaa") == "too_simple"
    assert password_problem("x" * 201) == "too_long"
    assert password_problem("mat-khau-an-toan") is None


def test_emails_are_normalized_and_checked() -> None:
    assert normalize_email("  Ha@Example.COM ") == "ha@example.com"
    assert is_valid_email("ha@example.com")
    assert not is_valid_email("ha@")
    assert not is_valid_email("no spaces@example.com")


def test_login_delay_grows_after_the_limit() -> None:
    assert login_delay_seconds(4, 5) == 0
    first = login_delay_seconds(5, 5)
    assert first > 0
    assert login_delay_seconds(6, 5) > first
    assert login_delay_seconds(50, 5) == 15 * 60
