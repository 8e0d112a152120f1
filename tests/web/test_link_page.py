"""The link page: a copy button, and a QR code of exactly the link shown, to scan in the room."""

from __future__ import annotations

import re

import qrcode
from django.test import TestCase
from django.urls import reverse

from personas import login_as, make_personas


def _modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of an SVG drawn by qrcode's path factory (one "Mx,y" per module)."""
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}


def _expected(url: str) -> set[tuple[int, int]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


class LinkPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _issue(self, name: str = "measures:issue_link") -> str:
        login_as(self.client, self.p.alice)
        response = self.client.post(reverse(name), {"client_id": self.p.bob.pk})
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_draws_a_qr_code_of_exactly_the_link_shown(self) -> None:
        for name in ("measures:issue_link", "measures:issue_reflection_link"):
            page = self._issue(name)
            url = re.search(r'id="checkin-link"[^>]*value="([^"]+)"', page)[1]
            svg = re.search(r'<svg class="link-qr".*?</svg>', page, re.S)[0]
            self.assertIn('role="img"', svg)
            self.assertEqual(_modules(svg), _expected(url))

    def test_it_offers_a_copy_button_from_a_static_script(self) -> None:
        page = self._issue()
        self.assertIn('data-copy="checkin-link"', page)
        self.assertRegex(page, r'<script src="[^"]*measures/copy-link\.js" defer></script>')
        self.assertNotRegex(page, r"<script>|onclick=")
