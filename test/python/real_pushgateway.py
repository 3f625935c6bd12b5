"""Waiting for the real prometheus-pushgateway (Debian's) that some tests start."""
import time
import urllib.request

import pytest


def wait_until_ready(base, proc, seconds=10):
    """Returns once the gateway at `base` answers /-/ready; fails the test if it exits or takes too long."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            pytest.fail("pushgateway did not become ready within %d s" % seconds)
        time.sleep(0.1)
