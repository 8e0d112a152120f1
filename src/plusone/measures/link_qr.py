"""The check-in link as a QR code, so that a client can scan it in the room.

The SVG goes inline on the link page, which is never cached; the link (a bearer token)
is neither logged nor stored here.
"""

from __future__ import annotations

import re

import qrcode
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from qrcode.image.svg import SvgPathImage

# Rendered size on the page, in CSS px: large enough for a phone held at arm's length.
SIZE = 200


def qr_svg(url: str, *, label: str) -> SafeString:
    """An inline SVG of ``url`` (medium error correction), labelled for screen readers."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    image = code.make_image(image_factory=SvgPathImage)
    svg = image.to_string(encoding="unicode")
    # The factory sizes in mm and draws no background; a scanner wants a white quiet zone.
    svg = re.sub(
        r'^<svg width="[^"]*" height="[^"]*"',
        f'<svg class="link-qr" role="img" aria-label="{escape(label)}" '
        f'width="{SIZE}" height="{SIZE}"',
        svg,
    )
    side = code.modules_count + 2 * code.border
    svg = svg.replace(">", f'><rect width="{side}" height="{side}" fill="#FFFFFF"/>', 1)
    # Built by qrcode from the URL alone; the one text put in, the label, is escaped.
    return mark_safe(svg)  # noqa: S308
