// Money in the register: whole đồng only (no floats, no fractions), formatted as the server does
// (app/money.py): `1.500.000 ₫` in Vietnamese, `₫1,500,000` in English.

export function isDong(value) {
  return Number.isSafeInteger(value) && value >= 0;
}

export function formatter(locale) {
  const en = locale === 'en';
  const digits = new Intl.NumberFormat(en ? 'en-US' : 'vi-VN', { maximumFractionDigits: 0 });
  return (amount) => {
    if (!Number.isSafeInteger(amount)) { throw new RangeError('not a whole number of đồng: ' + amount); }
    const sign = amount < 0 ? '-' : '';
    const text = digits.format(Math.abs(amount));
    return en ? sign + '₫' + text : sign + text + ' ₫';
  };
}

// What a person typed ("150.000", "150,000 ₫", "150000") as đồng, or null when it is not a whole amount.
export function parseDong(text) {
  const raw = String(text ?? '').replace(/[₫đ\s\u00a0]|VND/gi, '');
  if (raw === '') { return 0; }
  if (/^\d{1,3}([.,]\d{3})+$/.test(raw) || /^\d+$/.test(raw)) {
    const value = Number(raw.replace(/[.,]/g, ''));
    return isDong(value) ? value : null;
  }
  return null;
}
