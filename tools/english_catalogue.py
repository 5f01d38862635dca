"""Make the English catalogue say what the source says: every msgstr is its msgid.

Our msgids are English, so the English catalogue is complete by construction; a message that still
needs wording changes in the source, not here. Run by ``make extract-messages``.
"""
import sys

from babel.messages.pofile import read_po, write_po

PATH = "eventapp/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    with open(PATH, "rb") as handle:
        catalogue = read_po(handle, locale="en")
    for message in catalogue:
        if not message.id:
            continue
        message.string = tuple(message.id) if message.pluralizable else message.id
        message.flags.discard("fuzzy")
    with open(PATH, "wb") as handle:
        write_po(handle, catalogue, sort_output=True, omit_header=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
