"""Fake credentials, built at run time.

No secret-shaped literal may sit in this repository (it runs its own credentials hook on
itself, and push protection scans it), so every fake is assembled here from split prefixes
and seeded random characters: deterministic across runs, never a real key.
"""

from __future__ import annotations

import base64
import json
import random
import string

UPPER, LOWER, DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"


class Factory:
    """``Factory(seed).make(kind)`` -> a fresh fake of that kind."""

    def __init__(self, seed: int = 1234) -> None:
        self.rng = random.Random(seed)

    def chars(self, alphabet: str, n: int) -> str:
        """Random characters that always mix the alphabet's classes (upper, lower, digit)."""
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(n))
            classes = [c for c in (UPPER, LOWER, DIGITS) if set(c) & set(alphabet)]
            if all(set(value) & set(c) for c in classes) or n < 8:
                return value

    def make(self, kind: str) -> str:
        return getattr(self, kind.replace("-", "_"))()

    # -- the services -----------------------------------------------------------------------
    def openai_project(self) -> str:
        return "sk-" + "proj-" + self.chars(URLSAFE, 74) + "T3Blbk" + "FJ" + self.chars(URLSAFE, 74)

    def openai_svcacct(self) -> str:
        return "sk-" + "svcacct-" + self.chars(URLSAFE, 90)

    def openai_admin(self) -> str:
        return "sk-" + "admin-" + self.chars(URLSAFE, 90)

    def openai_legacy(self) -> str:
        return "sk-" + self.chars(ALNUM, 20) + "T3Blbk" + "FJ" + self.chars(ALNUM, 20)

    def openai_style(self) -> str:
        """The bare ``sk-`` shape of OpenAI-compatible providers (DeepSeek: 32 hex)."""
        return "sk-" + self.chars(HEX, 32)

    def anthropic(self) -> str:
        return "sk-" + "ant-" + "api03-" + self.chars(URLSAFE, 93) + "AA"

    def anthropic_admin(self) -> str:
        return "sk-" + "ant-" + "admin01-" + self.chars(URLSAFE, 93) + "AA"

    def huggingface(self) -> str:
        return "hf" + "_" + self.chars(UPPER + LOWER, 34)

    def huggingface_org(self) -> str:
        return "api" + "_org_" + self.chars(UPPER + LOWER, 34)

    def hex32(self) -> str:
        return self.chars(HEX, 32)

    def hex40(self) -> str:
        return self.chars(HEX, 40)

    def replicate(self) -> str:
        return "r8" + "_" + self.chars(ALNUM, 37)

    def groq(self) -> str:
        return "gsk" + "_" + self.chars(ALNUM, 52)

    def cohere(self) -> str:
        return self.chars(ALNUM, 40)

    def google(self) -> str:
        return "AI" + "za" + self.chars(URLSAFE, 35).replace("-", "x").replace("_", "y")

    def google_oauth(self) -> str:
        return "GOCSPX" + "-" + self.chars(ALNUM, 28)

    def github_classic(self) -> str:
        return "gh" + "p_" + self.chars(ALNUM, 36)

    def github_fine_grained(self) -> str:
        return "github" + "_pat_" + self.chars(ALNUM, 22) + "_" + self.chars(ALNUM, 59)

    def gitlab(self) -> str:
        return "gl" + "pat-" + self.chars(ALNUM, 20)

    def aws_key_id(self) -> str:
        return "AK" + "IA" + self.chars(UPPER + "234567", 14) + self.chars(DIGITS, 2)

    def aws_secret(self) -> str:
        return self.chars(ALNUM + "+/", 40)

    def azure_storage(self) -> str:
        return self.chars(ALNUM + "+/", 86) + "=="

    def slack_token(self) -> str:
        return "xo" + "xb-" + self.chars(DIGITS, 11) + "-" + self.chars(DIGITS, 13) + "-" + self.chars(LOWER + DIGITS, 24)

    def slack_webhook(self) -> str:
        return (
            "https://hooks.slack.com/services/" + "T" + self.chars(UPPER + DIGITS, 8)
            + "/B" + self.chars(UPPER + DIGITS, 10) + "/" + self.chars(ALNUM, 24)
        )

    def slack_legacy(self) -> str:
        return "xo" + "xp-" + self.chars(DIGITS, 10) + "-" + self.chars(DIGITS, 11) + "-" + self.chars(LOWER + DIGITS, 32)

    def slack_webhook_http(self) -> str:
        return "http" + self.slack_webhook()[len("https"):]

    def mapbox(self) -> str:
        return "s" + "k.eyJ1Ijoi" + self.chars(ALNUM, 16) + "IiwiYSI6I" + self.chars(ALNUM, 20) + "." + self.chars(URLSAFE, 22)

    def url_password(self) -> str:
        """A password with the characters URL userinfo allows beside letters and digits."""
        return self.chars(ALNUM, 4) + "+*&" + self.chars(ALNUM, 4) + "!$~" + self.chars(DIGITS, 2)

    def mixed_quote(self) -> str:
        return self.chars(ALNUM, 6) + '"' + self.chars(ALNUM, 12)

    def spelled_password(self) -> str:
        """A realistic password that holds the word "Secret" among enough other characters."""
        return "Sec" + "ret#" + self.chars(LOWER, 4) + self.chars(DIGITS, 4) + "!" + self.chars(UPPER, 3)

    def discord(self) -> str:
        return "M" + self.chars(ALNUM, 23) + "." + self.chars(ALNUM, 6) + "." + self.chars(ALNUM, 27)

    def telegram(self) -> str:
        return self.chars(DIGITS, 10) + ":" + self.chars(URLSAFE, 35)

    def stripe(self) -> str:
        return "sk" + "_live_" + self.chars(ALNUM, 24)

    def sendgrid(self) -> str:
        return "SG" + "." + self.chars(URLSAFE, 22) + "." + self.chars(URLSAFE, 43)

    def mailchimp(self) -> str:
        return self.chars(LOWER + DIGITS, 32) + "-us" + "12"

    def twilio(self) -> str:
        return "S" + "K" + self.chars(HEX, 32)

    def square(self) -> str:
        return "sq0" + "csp-" + self.chars(URLSAFE, 43)

    def pypi(self) -> str:
        return "pypi-" + "AgEIcHlwaS5vcmc" + self.chars(URLSAFE, 80)

    def npm(self) -> str:
        return "npm" + "_" + self.chars(ALNUM, 36)

    def jwt(self) -> str:
        def part(data: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        header = part({"alg": "HS256", "typ": "JWT"})
        payload = part({"sub": self.chars(DIGITS, 10), "iat": int(self.chars(DIGITS, 9))})
        return header + "." + payload + "." + self.chars(URLSAFE, 43)

    def password(self) -> str:
        return self.chars(ALNUM, 14)

    def api_key(self) -> str:
        return self.chars(ALNUM, 32)

    def private_key_lines(self, kind: str = "RSA") -> list[str]:
        dashes = "-" * 5
        head = f"{dashes}BEGIN {kind} " + "PRIVATE KEY" + dashes
        body = [self.chars(ALNUM + "+/", 64) for _ in range(3)]
        return [head, *body, f"{dashes}END {kind} " + "PRIVATE KEY" + dashes]
