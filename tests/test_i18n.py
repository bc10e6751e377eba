"""Simplified Chinese is complete and compiled; English is the source language, available by choice."""

import ast
import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(lines):
    return "".join(ast.literal_eval(line if line.startswith('"') else line.split(" ", 1)[1]) for line in lines)


def po_entries(path=PO):
    """(msgctxt, msgid, [msgstr…], flags) for every entry but the header; a tiny reader of the .po format."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) ', line)
            if match:
                current = match.group(1)
                fields[current] = [line]
            elif current:
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        msgid = _unquote(fields["msgid"])
        if not msgid:
            continue
        strs = [_unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        entries.append((_unquote(fields["msgctxt"]) if "msgctxt" in fields else None, msgid, strs, flags))
    return entries


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = po_entries()
    assert len(entries) > 300
    assert [msgid for _, msgid, strs, _ in entries if not all(strs)] == []
    assert [msgid for _, msgid, _, flags in entries if "fuzzy" in flags] == []


def test_placeholders_survive_translation():
    for _, msgid, strs, _ in po_entries():
        wanted = sorted(re.findall(r"%\(\w+\)[sd]|\{\{ ?\w+ ?\}\}", msgid))
        for msgstr in strs:
            assert sorted(re.findall(r"%\(\w+\)[sd]|\{\{ ?\w+ ?\}\}", msgstr)) == wanted, msgid


def test_compiled_catalog_matches_the_po_file():
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    for context, msgid, strs, _ in po_entries():
        key = f"{context}\x04{msgid}" if context else msgid
        if (key, 0) in catalog:
            assert catalog[(key, 0)] == strs[0], msgid
        else:
            assert catalog[key] == strs[0], msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed (CI installs it)")
def test_catalog_holds_every_string_of_the_code(tmp_path):
    """makemessages on a copy of the sources finds no message the catalog lacks."""
    for name in ("manage.py", "navportal", "applications", "review", "portal", "bases", "templates"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"], cwd=tmp_path,
                   check=True, capture_output=True)
    fresh = {(c, m) for c, m, _, _ in po_entries(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    known = {(c, m) for c, m, _, _ in po_entries()}
    assert sorted(m for _, m in fresh - known) == []


@pytest.mark.django_db
def test_chinese_by_default_english_by_choice(client):
    assert "登录" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log in" in client.get(reverse("login")).content.decode()
