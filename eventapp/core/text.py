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


# --- Persian digits in a page ------------------------------------------------------------------------------
# What a person reads in a page gets Persian digits: the text between tags and the attributes below. What
# machines read keeps its digits (URLs, ids, names, hidden and option values, data attributes), and so does
# what is kept as written: scripts, styles, code, and elements marked translate="no" or in another language.
_MARKUP = re.compile(r"<!--.*?-->|<![^>]*>|<\?[^>]*>|<(/?)([A-Za-z][A-Za-z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
                     re.S)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+))?""")
# Inside text, these keep their digits: character references (&#1234;), web and e-mail addresses, and words
# of Latin letters and digits (a code, a file or paper size: A4, UTF-8, report2.pdf).
_KEPT_IN_TEXT = re.compile(r"&[A-Za-z][A-Za-z0-9]*;|&#[0-9]+;|&#[xX][0-9a-fA-F]+;|\b[A-Za-z][A-Za-z0-9+.-]*://[^\s<]+"
                           r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                           r"|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_.:/-]*[A-Za-z])[A-Za-z0-9_.:/-]*[0-9][A-Za-z0-9_.:/-]*")
_READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                    "aria-valuetext", "label"}
_SHOWN_VALUE_INPUTS = {"text", "search", "tel", "submit", "button", "reset"}  # inputs whose value is read
_KEPT_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre", "var"}
_VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_RAW_TEXT_ELEMENTS = {"script", "style", "textarea"}  # their content is text up to their end tag, never markup
RICH_TEXT_ATTRIBUTE = "data-rich-text"  # a textarea holding HTML (the map editor's): its text is localised


_DIGIT = re.compile(f"[0-9{ARABIC_DIGITS}]")  # what persian_digits changes
# Where a start tag may need more than being copied: an attribute that sets the scope, or one a person reads.
_SCOPE_OR_READ = re.compile(r"lang|translate|title|alt|placeholder|aria-|label|value|" + RICH_TEXT_ATTRIBUTE, re.I)


def _persian_digits_in_text(text: str) -> str:
    if not _DIGIT.search(text):  # most text between tags: nothing to change
        return text
    pieces, position = [], 0
    for kept in _KEPT_IN_TEXT.finditer(text):
        pieces += [persian_digits(text[position:kept.start()]), kept.group(0)]
        position = kept.end()
    return "".join([*pieces, persian_digits(text[position:])])


def _attributes(source: str) -> dict[str, str]:
    return {match.group(1).lower(): (match.group(3) or "").strip("\"'") for match in _ATTRIBUTE.finditer(source)}


def _localised_tag(name: str, source: str, attributes: dict[str, str]) -> str:
    """The attributes of a start tag, with Persian digits in those a person reads."""
    read = _READ_ATTRIBUTES
    if name == "input" and attributes.get("type", "text").lower() in _SHOWN_VALUE_INPUTS:
        read = read | {"value"}

    def localise(match):
        if match.group(1).lower() not in read or not match.group(3):
            return match.group(0)
        return match.group(1) + match.group(2) + _persian_digits_in_text(match.group(3))

    return _ATTRIBUTE.sub(localise, source)


def _localises(name: str, attributes: dict[str, str], inherited: bool) -> bool:
    """Whether an element's own attributes and content get Persian digits, given its parent's answer."""
    if name in _KEPT_ELEMENTS or attributes.get("translate", "").lower() == "no":
        return False
    if "lang" in attributes:
        return attributes["lang"].lower().startswith("fa")
    return inherited


def persian_digits_in_html(markup: str) -> str:
    """The page (or fragment) with Persian digits wherever a person reads them, and only there (see above)."""
    pieces, position = [], 0
    # The elements that set whether their content is localised (a lang, translate="no", code...), innermost
    # last, as [name, localises, how deeply elements of that name are nested in it].
    scopes = [["", True, 1]]
    for match in _MARKUP.finditer(markup):
        text = markup[position:match.start()]
        localising = scopes[-1][1]
        pieces.append(_persian_digits_in_text(text) if localising else text)
        position = match.end()
        closing, name, source = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if not name:  # a comment, a doctype, an instruction
            pieces.append(match.group(0))
            continue
        if closing:
            pieces.append(match.group(0))
            if name == scopes[-1][0]:
                scopes[-1][2] -= 1
                if not scopes[-1][2]:
                    scopes.pop()
            continue
        if name not in _KEPT_ELEMENTS and name not in _RAW_TEXT_ELEMENTS and not _SCOPE_OR_READ.search(source):
            # No attribute that changes the scope or that a person reads: the tag is copied, the scope goes on.
            pieces.append(match.group(0))
            if name == scopes[-1][0] and name not in _VOID_ELEMENTS and not source.rstrip().endswith("/"):
                scopes[-1][2] += 1
            continue
        attributes = _attributes(source)
        localises = _localises(name, attributes, localising)
        pieces.append(f"<{match.group(2)}{_localised_tag(name, source, attributes)}>" if localises else match.group(0))
        if name in _RAW_TEXT_ELEMENTS:
            end = markup.find(f"</{name}", position)
            end = len(markup) if end < 0 else end
            pieces.append(_raw_text(name, markup[position:end], attributes, localises))
            position = end
        elif name not in _VOID_ELEMENTS and not source.rstrip().endswith("/"):
            if localises != localising or "lang" in attributes:
                scopes.append([name, localises, 1])
            elif name == scopes[-1][0]:
                scopes[-1][2] += 1
    tail = markup[position:]
    pieces.append(_persian_digits_in_text(tail) if scopes[-1][1] else tail)
    return "".join(pieces)


def _raw_text(name: str, content: str, attributes: dict[str, str], localise: bool) -> str:
    """A script's or style's content as it is; a text area's with Persian digits, in the text of its HTML when
    it holds rich text."""
    if name != "textarea" or not localise:
        return content
    if RICH_TEXT_ATTRIBUTE in attributes:
        return html.escape(persian_digits_in_html(html.unescape(content)), quote=False)
    return _persian_digits_in_text(content)
