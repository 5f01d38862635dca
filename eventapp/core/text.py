"""Normalisation of Persian text and digits: pure functions, no Flask.

What people type arrives with Persian (۰-۹), Arabic-Indic (٠-٩) or Latin digits and with the
Arabic or Persian forms of ی and ک. We store one form: Persian letters and Latin digits, so that
equality, uniqueness and search do not depend on the keyboard that was used.

Also the words of the small HTML of rich text, as plain text (text_of_html).
"""
import html
import re
import unicodedata

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN_DIGITS = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
_TO_PERSIAN_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # Arabic alef maksura
        "ك": "ک",  # Arabic kaf
    }
)
# Letters of the Arabic script (Persian is written in it), in their basic and presentation-form blocks.
_ARABIC_SCRIPT_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"
                                   r"\ufb50-\ufdff\ufe70-\ufefc]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
TATWEEL = "\u0640"  # kashida: decoration, not text
ZERO_WIDTH_SPACE = "\u200b"


def latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN_DIGITS)


def persian_digits(text: str) -> str:
    return text.translate(_TO_PERSIAN_DIGITS)


def has_persian_script(text: str) -> bool:
    """Whether ``text`` has a letter of the Arabic script, the one Persian is written in (digits and
    punctuation alone do not count)."""
    return _ARABIC_SCRIPT_LETTER.search(text) is not None


def normalize_text(text: str) -> str:
    """Persian letters, Latin digits, compatibility forms folded, runs of spaces folded, trimmed.

    Line breaks are kept (for multi-line fields); the zero-width non-joiner is kept (it is part of
    Persian spelling).
    """
    # Tatweel goes before NFKC, so that a letter and a mark it kept apart compose in this pass, and
    # again after it, because NFKC makes tatweel out of some presentation forms (U+FE77: tatweel+fatha).
    text = unicodedata.normalize("NFKC", text.replace(TATWEEL, ""))
    text = unicodedata.normalize("NFC", text.replace(TATWEEL, ""))
    text = text.translate(_TO_PERSIAN_LETTERS).translate(_TO_LATIN_DIGITS).replace(ZERO_WIDTH_SPACE, "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def normalize_letters(text: str) -> str:
    """Persian letters only (digits, spacing and markup untouched): for rich text."""
    return unicodedata.normalize("NFC", text.replace(TATWEEL, "")).translate(_TO_PERSIAN_LETTERS)


def normalize_mobile(text: str) -> str:
    """An Iranian mobile number in its national form 09xxxxxxxxx, or '' when it is not one."""
    digits = re.sub(r"[\s\-()]", "", latin_digits(text))
    if digits.startswith("+98"):
        digits = "0" + digits[3:]
    elif digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif digits.startswith("9") and len(digits) == 10:
        digits = "0" + digits
    return digits if re.fullmatch(r"09\d{9}", digits) else ""


# Persian alphabetical order; letters not listed sort after these, by code point.
_PERSIAN_ALPHABET = "آاأإبپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیئ"
_ALPHABET_RANK = {letter: index for index, letter in enumerate(_PERSIAN_ALPHABET)}


def persian_sort_key(text: str) -> tuple:
    """Sort Persian words as a Persian dictionary does (plain code points put پ چ ژ گ after ی)."""
    return tuple(_ALPHABET_RANK.get(char, len(_ALPHABET_RANK) + ord(char)) for char in normalize_text(text))


def valid_national_id(code: str) -> bool:
    """An Iranian national ID (کد ملی): ten digits whose last is the check digit of the first nine."""
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    remainder = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


_HTML_TAG = re.compile(r"<[^>]+>")
_LINE_END = re.compile(r"<br\s*/?>|</li>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|blockquote|ul|ol)>", re.IGNORECASE)


def text_of_html(value: str) -> str:
    """The words of rich text's HTML as plain text: blocks apart by a blank line, a line break or a list item a
    line (the plain text that rich text is made of again on save). Text without any tag is returned as it is."""
    value = value or ""
    if not _HTML_TAG.search(value):
        return value
    text = _BLOCK_END.sub("\n\n", _LINE_END.sub("\n", value))
    lines = [line.strip() for line in html.unescape(_HTML_TAG.sub("", text)).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
