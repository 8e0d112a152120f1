"""The audit trail: ``record()``, ``record_view()`` and ``verify_chain()``.

Import these from ``plusone.audit``; they load the models lazily so this
package can be imported before Django's app registry is ready.
"""

from __future__ import annotations

from typing import Any


def record(**kwargs: Any) -> Any:
    """See :func:`plusone.audit.chain.record`."""
    from plusone.audit.chain import record as _record

    return _record(**kwargs)


def record_view(request: Any, target: Any, *, action: str = "view") -> Any:
    """See :func:`plusone.audit.views.record_view`."""
    from plusone.audit.views import record_view as _record_view

    return _record_view(request, target, action=action)


def verify_chain(practice: Any) -> Any:
    """See :func:`plusone.audit.verify.verify_chain`."""
    from plusone.audit.verify import verify_chain as _verify

    return _verify(practice)
