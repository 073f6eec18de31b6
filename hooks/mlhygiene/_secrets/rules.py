"""Rule ids, what each secret is called, and messages that never hold a whole secret."""

from __future__ import annotations

from typing import NamedTuple

CATEGORY = "credentials"
SEVERITY = "error"
GENERIC = "hardcoded-credential"


class Rule(NamedTuple):
    label: str  # what the secret is called in a message
    remedy: str  # what to do with it once it leaked: "rotate the key", ...
    public_prefix: tuple[str, ...] = ()  # fixed, public prefixes ("sk-", "AKIA"): the hint may show more


_KEY, _TOKEN, _PASSWORD = "rotate the key", "revoke the token", "change the password"

RULES: dict[str, Rule] = {
    "openai-api-key": Rule("OpenAI API key", _KEY, ("sk-",)),
    "anthropic-api-key": Rule("Anthropic API key", _KEY, ("sk-ant-",)),
    "huggingface-token": Rule("Hugging Face access token", _TOKEN, ("hf_", "api_org_")),
    "kaggle-api-key": Rule("Kaggle API key", _KEY),
    "wandb-api-key": Rule("Weights & Biases API key", _KEY),
    "replicate-api-token": Rule("Replicate API token", _TOKEN, ("r8_",)),
    "groq-api-key": Rule("Groq API key", _KEY, ("gsk_",)),
    "cohere-api-key": Rule("Cohere API key", _KEY),
    "google-api-key": Rule("Google API key", _KEY, ("AIza",)),
    "google-oauth-client-secret": Rule("Google OAuth client secret", _KEY, ("GOCSPX-",)),
    "github-token": Rule("GitHub token", _TOKEN, ("gh", "github_pat_")),
    "gitlab-token": Rule("GitLab token", _TOKEN, ("gl",)),
    "aws-access-key": Rule("AWS access key id", _KEY, ("A",)),
    "aws-secret-key": Rule("AWS secret access key", _KEY),
    "azure-storage-key": Rule("Azure storage account key", _KEY),
    "slack-token": Rule("Slack token", _TOKEN, ("xox",)),
    "slack-webhook": Rule("Slack webhook URL", "regenerate the webhook"),
    "mapbox-token": Rule("Mapbox secret token", _TOKEN, ("sk.", "tk.")),
    "discord-bot-token": Rule("Discord bot token", _TOKEN),
    "telegram-bot-token": Rule("Telegram bot token", _TOKEN),
    "stripe-api-key": Rule("Stripe live key", _KEY, ("sk_live_", "rk_live_")),
    "sendgrid-api-key": Rule("SendGrid API key", _KEY, ("SG.",)),
    "mailchimp-api-key": Rule("Mailchimp API key", _KEY),
    "twilio-api-key": Rule("Twilio key", _KEY),
    "square-oauth-secret": Rule("Square OAuth secret", _KEY, ("sq0csp-",)),
    "pypi-token": Rule("PyPI upload token", _TOKEN, ("pypi-",)),
    "npm-token": Rule("npm token", _TOKEN, ("npm_",)),
    "json-web-token": Rule("JSON Web Token", _TOKEN, ("eyJ",)),
    "private-key": Rule("private key block", _KEY),
    "password-in-url": Rule("password in a URL", _PASSWORD),
    GENERIC: Rule("credential", "rotate it"),
}

# Sub-kinds named by their prefix, longest first (the rule id stays the same).
_SUBKINDS: tuple[tuple[str, str, str], ...] = (
    ("openai-api-key", "sk-proj-", "OpenAI project API key"),
    ("openai-api-key", "sk-svcacct-", "OpenAI service-account key"),
    ("openai-api-key", "sk-admin-", "OpenAI admin key"),
    ("openai-api-key", "sk-", "OpenAI-style API key"),
    ("anthropic-api-key", "sk-ant-admin", "Anthropic admin key"),
    ("huggingface-token", "api_org_", "Hugging Face organization token"),
    ("github-token", "github_pat_", "GitHub fine-grained token"),
    ("aws-access-key", "ASIA", "AWS temporary access key id"),
    ("stripe-api-key", "rk_live_", "Stripe restricted live key"),
)

_LEGACY_OPENAI = "T3Blbk" + "FJ"  # base64 of "OpenAI": in every key of the classic shape
_CODE_ADVICE = "load it from an environment variable or a secrets manager, and {remedy}"
_OUTPUT_ADVICE = "clear this cell's output and {remedy}"
_NAME_LIMIT = 40
SHORTEST_HINTED = 8  # secrets shorter than this get no prefix at all
_NO_HINT = frozenset({"private-key", "slack-webhook"})  # a block; a URL whose start says nothing


def label(rule_id: str, secret: str, name: str = "") -> str:
    """What the secret is called, e.g. ``OpenAI project API key``."""
    if rule_id == GENERIC:
        shown = name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 1] + "…"
        return f"credential assigned to '{shown}'" if shown else "credential"
    if rule_id == "private-key":
        kind = _private_key_kind(secret)
        return f"{kind} private key block" if kind else "private key block"
    for rule, prefix, text in _SUBKINDS:
        if rule == rule_id and secret.startswith(prefix):
            if prefix == "sk-" and _LEGACY_OPENAI in secret:
                break
            return text
    return RULES[rule_id].label


def _private_key_kind(block: str) -> str:
    if "BEGIN " not in block:
        return ""
    head = block[block.find("BEGIN ") + 6 : block.find("PRIVATE KEY")].strip()
    return head if head in {"RSA", "DSA", "EC", "OPENSSH", "ENCRYPTED", "PGP"} else ""


def hint(rule_id: str, secret: str) -> str:
    """A short prefix to recognise the secret by: never more than 6 characters, never more
    than a third of it (a quarter, at most 4, when it has no public prefix), none for short
    secrets and private keys."""
    if rule_id in _NO_HINT or len(secret) < SHORTEST_HINTED:
        return ""
    if secret.startswith(RULES[rule_id].public_prefix):
        return secret[: min(6, len(secret) // 3)]
    return secret[: min(4, len(secret) // 4)]


def message(rule_id: str, secret: str, *, name: str = "", in_output: bool = False) -> str:
    """The finding's message: type, redacted hint, what to do."""
    shown = hint(rule_id, secret)
    what = label(rule_id, secret, name) + (f" ({shown}…)" if shown else "")
    remedy = RULES[rule_id].remedy
    if in_output:
        return f"{what} in this cell's output: " + _OUTPUT_ADVICE.format(remedy=remedy)
    return f"{what}: " + _CODE_ADVICE.format(remedy=remedy)
