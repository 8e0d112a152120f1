"""The portal's nav. STAND-IN for the integrator's shell."""

from django.utils.translation import gettext_lazy as _

NAV = [("portal:home", _("Home"))]
