#!/usr/bin/env python3
"""Opens one session on each of N new licenses of the bench app and writes one session
token per line to OUT, for heartbeat_many.lua (the stdlib only, so nothing to install).

usage: seed_sessions.py BASE API_KEY APP_ID APP_SECRET HWID N OUT
"""
import base64
import json
import secrets
import sys
import urllib.request


def post(url, body, api_key=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main():
    base, api_key, app_id, app_secret, hwid, n, out = sys.argv[1:8]
    created = post(f"{base}/v1/apps/{app_id}/licenses", {"count": int(n)}, api_key)
    tokens = []
    for license in created["licenses"]:
        answer = post(f"{base}/auth/validate", {
            "appId": app_id, "appSecret": app_secret, "licenseKey": license["key"],
            "hwid": hwid, "nonce": secrets.token_hex(16),
        })
        if answer.get("status") != "success":
            sys.exit(f"seeding a session failed: {answer}")
        payload = json.loads(base64.b64decode(answer["payload"]))
        tokens.append(payload["sessionToken"])
    with open(out, "w") as f:
        f.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main()
