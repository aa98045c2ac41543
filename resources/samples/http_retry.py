"""Retry flaky HTTP calls with exponential backoff and jitter.

A sample source file for Gemseek's demo folder (written for Gemseek,
public domain / CC0): the kind of code people later search for as
"the function that retries HTTP calls".
"""

import random
import time
import urllib.error
import urllib.request

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def fetch_with_retry(url, attempts=5, base_delay=0.5, timeout=10):
    """Download ``url``, retrying transient failures with growing pauses."""
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE_STATUS or attempt == attempts:
                raise
        except (urllib.error.URLError, TimeoutError):
            if attempt == attempts:
                raise
        # Full jitter keeps many clients from retrying in lockstep.
        time.sleep(random.uniform(0, base_delay * 2 ** (attempt - 1)))


class CircuitBreaker:
    """Stop calling a failing service for a while instead of hammering it."""

    def __init__(self, threshold=5, cooldown=30.0):
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at = None

    def allow(self):
        if self.opened_at is None:
            return True
        if time.monotonic() - self.opened_at >= self.cooldown:
            self.opened_at = None
            self.failures = 0
            return True
        return False

    def record(self, ok):
        self.failures = 0 if ok else self.failures + 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()
