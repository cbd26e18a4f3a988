#!/usr/bin/env python3
"""Writes file_links.json: signed file links computed with Python's own hmac module, so the
core's `file_link` module is checked against a second implementation."""
import hashlib, hmac, json, pathlib

KEY = "file-link-key-for-vectors-0123456789"
NOW = 1764000000

def sig(path: str, exp: str, key: str = KEY) -> str:
    msg = b"formhook-file-link/v1\n" + path.encode() + b"\n" + exp.encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()

P = "/files/contact/sub_0123456789abcdef/0"
tests = []
def add(comment, path, exp, signature, result, error=None):
    case = {"tcId": len(tests) + 1, "comment": comment, "path": path, "exp": exp, "sig": signature,
            "now": NOW, "result": result}
    if error: case["error"] = error
    tests.append(case)

good = sig(P, str(NOW + 604800))
add("valid for seven days", P, str(NOW + 604800), good, "valid")
add("valid until the last second", P, str(NOW + 1), sig(P, str(NOW + 1)), "valid")
add("uppercase hex is the same signature", P, str(NOW + 604800), good.upper(), "valid")
add("expired: now equals exp", P, str(NOW), sig(P, str(NOW)), "invalid", "link_expired")
add("expired long ago", P, "1", sig(P, "1"), "invalid", "link_expired")
add("another file of the same submission", P[:-1] + "1", str(NOW + 604800), good, "invalid", "link_invalid")
add("another submission", P.replace("sub_0", "sub_1"), str(NOW + 604800), good, "invalid", "link_invalid")
add("exp moved later", P, str(NOW + 604801), good, "invalid", "link_invalid")
add("exp moved earlier and expired", P, str(NOW - 1), good, "invalid", "link_invalid")
add("signed under another key", P, str(NOW + 604800), sig(P, str(NOW + 604800), "another-key-0123456789abcdef"), "invalid", "link_invalid")
add("leading zero in exp", P, "0" + str(NOW + 604800), sig(P, "0" + str(NOW + 604800)), "invalid", "link_malformed")
add("exp past u64", P, "18446744073709551616", sig(P, "18446744073709551616"), "invalid", "link_malformed")
add("signature one hex digit short", P, str(NOW + 604800), good[:-1], "invalid", "link_malformed")
add("signature not hex", P, str(NOW + 604800), "g" * 64, "invalid", "link_malformed")
add("no signature", P, str(NOW + 604800), None, "invalid", "link_malformed")
add("no exp", P, None, good, "invalid", "link_malformed")

out = {"algorithm": "HMAC-SHA256 over 'formhook-file-link/v1\\n' + path + '\\n' + exp, hex",
       "key": KEY, "tests": tests}
pathlib.Path(__file__).with_name("file_links.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
