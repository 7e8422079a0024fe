"""Fill translations into a .po file from a JSON object {msgid: msgstr}.

    .venv/bin/python scripts/po_set.py grids/locale/zh_Hans/LC_MESSAGES/django.po tr.json
    .venv/bin/python scripts/po_set.py --missing grids/locale/zh_Hans/LC_MESSAGES/django.po

--missing lists the msgids still untranslated (or fuzzy). Run scripts/messages.sh afterwards to
compile. Plural entries take a JSON list of forms.
"""

import json
import sys

import polib


def main(argv):
    if argv[0] == "--missing":
        po = polib.pofile(argv[1])
        for entry in po:
            if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags):
                print(json.dumps(entry.msgid, ensure_ascii=False))
        return
    path, mapping_path = argv
    po = polib.pofile(path)
    with open(mapping_path, encoding="utf-8") as fh:
        mapping = json.load(fh)
    changed = 0
    for entry in po:
        if entry.msgid in mapping:
            value = mapping[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(value if isinstance(value, list) else [value]))
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            changed += 1
    po.save()
    print(f"{changed} entries set in {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
