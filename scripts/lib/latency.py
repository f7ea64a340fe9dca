#!/usr/bin/env python3
"""Single-request latency of pages, as a signed-in user opens them.

Usage: latency.py BASE_URL EMAIL PASSWORD RUNS LABEL=PATH [LABEL=PATH ...]

Signs in through the real login server function, then for each page makes
RUNS sequential GETs on one keep-alive connection (after a few warm-up
requests) and prints one line per page: label, p50 and p99 in milliseconds.
Every answer must be 200 with an HTML page; anything else stops the run.
"""

import http.client
import statistics
import sys
import time
import urllib.parse


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    base, email, password, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pages = [arg.split("=", 1) for arg in sys.argv[5:]]
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    body = urllib.parse.urlencode({"email": email, "password": password})
    conn.request(
        "POST",
        "/api/auth/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Origin": base,
        },
    )
    res = conn.getresponse()
    answer = res.read()
    if res.status != 200:
        sys.exit(f"login as {email} failed: {res.status} {answer[:200]!r}")
    cookies = [c.split(";", 1)[0] for k, c in res.getheaders() if k.lower() == "set-cookie"]
    cookie = "; ".join(cookies)
    headers = {"Accept": "text/html", "Cookie": cookie}
    for label, path in pages:
        times = []
        for i in range(runs + 5):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            res = conn.getresponse()
            page = res.read()
            elapsed = (time.perf_counter() - started) * 1000.0
            if res.status != 200 or b"<html" not in page[:2000].lower():
                sys.exit(f"{label} ({path}) answered {res.status}: {page[:300]!r}")
            if i >= 5:
                times.append(elapsed)
        print(f"{label}\t{percentile(times, 0.5):.1f}\t{percentile(times, 0.99):.1f}\t{statistics.mean(times):.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
