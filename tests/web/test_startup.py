"""A served process settles once the app is loaded (plusone.web.startup): what is alive
then is frozen out of the collector's full passes."""

import subprocess
import sys


def test_loading_the_wsgi_app_freezes_what_the_process_loaded():
    code = (
        "import gc, os\n"
        "os.environ['PLUSONE_PROFILE'] = 'test'\n"
        "before = gc.get_freeze_count()\n"
        "import plusone.wsgi\n"
        "print(before, gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = (int(n) for n in out.stdout.split())
    assert before == 0
    # Django, the URLconf's apps and the settings: tens of thousands of objects.
    assert after > 10_000


def test_settling_twice_keeps_what_was_frozen():
    code = (
        "import gc\n"
        "from plusone.web.startup import settle\n"
        "settle(); first = gc.get_freeze_count()\n"
        "kept = [[] for _ in range(1000)]\n"
        "settle(); print(first, gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = (int(n) for n in out.stdout.split())
    assert second >= first + 1000
