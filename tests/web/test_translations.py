"""The French catalogue (DESIGN.md, Languages): every string marked for translation in
the templates and the code has a French translation, and the compiled catalogue the
app loads says the same as the .po file in the repository."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.test import SimpleTestCase
from django.utils import translation
from django.utils.translation.template import templatize

import plusone
from plusone.measures.consent import CONSENT_VERSION

SRC = Path(plusone.__file__).parent
PO = SRC / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "ngettext"}


def _po_entries() -> dict[str, str]:
    """msgid -> msgstr from the .po file (header left out). A fuzzy entry (makemessages'
    guess) counts as untranslated: the compiled catalogue leaves it out."""
    entries: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    field = None
    fuzzy = False
    for line in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
            # A plural entry counts by its singular form; its plural lines (which may
            # continue over several lines) are kept apart, never added to the msgid.
            field = line.split(" ", 1)[0].replace("msgstr[0]", "msgstr")
            current[field] = [ast.literal_eval(line.split(" ", 1)[1])]
        elif line.startswith('"') and field:
            current[field].append(ast.literal_eval(line))
        elif not line.strip():
            if current.get("msgid") and "".join(current["msgid"]):
                msgstr = "" if fuzzy else "".join(current.get("msgstr", []))
                entries["".join(current["msgid"])] = msgstr
            current, field, fuzzy = {}, None, False
    return entries


def _template_msgids() -> set[str]:
    found = set()
    for path in SRC.glob("*/templates/**/*.html"):
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for call in re.finditer(r"(?:gettext|pgettext|ngettext)\([ru]?'((?:[^'\\]|\\.)*)'", code):
            found.add(call.group(1).replace("\\'", "'"))
    return found


def _python_msgids() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in GETTEXT_NAMES and isinstance(first, ast.Constant):
                found.add(first.value)
    return found


class FrenchCatalogueTests(SimpleTestCase):
    def test_it_translates_every_marked_string_into_french(self) -> None:
        entries = _po_entries()
        marked = _template_msgids() | _python_msgids()
        self.assertTrue(marked, "no translatable strings found: the extraction is broken")
        # Django's templatize writes gettext(u'...'): an extraction that matched only r'...'
        # once found no template string at all, and so checked none.
        self.assertGreater(len(_template_msgids()), 100, "the template extraction is broken")
        missing = sorted(m for m in marked if not entries.get(m))
        self.assertEqual(missing, [], "run `plusone makemessages -l fr_CA` and translate")

    def test_it_loads_the_same_french_as_the_po_file_says(self) -> None:
        entries = _po_entries()
        with translation.override("fr-ca"):
            stale = {
                msgid: translation.gettext(msgid)
                for msgid, msgstr in entries.items()
                if "%(" not in msgid and translation.gettext(msgid) != msgstr
            }
        self.assertEqual(stale, {}, "run `plusone compilemessages` after editing the .po")

    def test_it_writes_the_read_by_time_the_canadian_french_way(self) -> None:
        from django.utils import formats

        moment = dt.datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("America/Toronto"))
        with translation.override("fr-ca"):
            text = formats.date_format(moment, translation.gettext("l j F \\a\\t H:i"))
        self.assertEqual(text, "lundi 7 décembre à 17 h 00")


# The client's and observer's pages (DESIGN.md, Languages): every word on them is marked
# for translation. Staff pages may stay English. Instrument words come from the
# instrument's data files (plusone.core.translations), never from these templates.
CLIENT_TEMPLATES = (
    "web/templates/base.html",
    "measures/templates/measures/checkin_base.html",
    "measures/templates/measures/checkin_group.html",
    "measures/templates/measures/checkin_done.html",
    "measures/templates/measures/checkin_risk.html",
    "measures/templates/measures/_risk_response.html",
    "measures/templates/measures/_answer_saved.html",
    "measures/templates/measures/consent.html",
    "measures/templates/measures/consent_declined.html",
    "measures/templates/measures/link_problem.html",
    "measures/templates/measures/resources.html",
    f"measures/templates/measures/consent/{CONSENT_VERSION}.html",
    "web/templates/client_base.html",
    "web/templates/web/_language_switch.html",
    # The portal's and the observer's pages, whoever adds them (the therapist's page that
    # sends the invitation is a staff page, in portal/templates/portal_staff/).
    *sorted(str(p.relative_to(SRC)) for p in SRC.glob("portal/templates/portal/**/*.html")),
    # The observer's own pages (the journey's S2 view and rounds are staff pages).
    *(
        f"observers/templates/observers/{name}.html"
        for name in ("observer_base", "form", "done", "inactive")
    ),
)
# Words that are the same in both languages: the product's name, and each language's
# own name on the switch. "New Tab" is the neutral page's imitation of a blank browser
# tab (portal shell); left to its owner to decide whether it follows the language.
SAME_IN_BOTH = {"PlusOne", "· PlusOne", "English", "Français", "New Tab"}
_TRANSLATED = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}"
    r"|{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}"
    r"|{%\s*translate\s+\"[^\"]*\"[^%]*%}|{%.*?%}|{{.*?}}",
    re.S,
)
_WORDED_ATTRIBUTE = re.compile(
    r"\b(?:aria-label|title|alt|placeholder)=\"([^\"{]*[A-Za-z][^\"{]*)\""
)


def unmarked_text(source: str) -> list[str]:
    """Words in a template that are neither marked for translation nor template code."""
    found = [m.group(1) for m in _WORDED_ATTRIBUTE.finditer(source)]
    text = _TRANSLATED.sub(" ", source)
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    for chunk in re.split(r"\s{2,}|\n", text):
        words = chunk.strip()
        if re.search(r"[A-Za-zÀ-ÿ]{2,}", words) and words not in SAME_IN_BOTH:
            found.append(words)
    return found


class ClientTemplatesTests(SimpleTestCase):
    def test_it_marks_every_word_of_the_client_pages_for_translation(self) -> None:
        left = {
            name: unmarked_text((SRC / name).read_text(encoding="utf-8"))
            for name in CLIENT_TEMPLATES
        }
        self.assertEqual({k: v for k, v in left.items() if v}, {})

    def test_it_finds_english_left_outside_translate(self) -> None:
        self.assertEqual(
            unmarked_text('{% translate "Next" %}<p title="Go on">Skip today</p>{{ x }}'),
            ["Go on", "Skip today"],
        )
