"""Is a variable, key, environment entry or keyword argument named like a credential?

A name is split into lower-case words (``snake_case``, ``kebab-case``, ``dotted.path`` and
``camelCase`` all count); it is a credential name when a word says so (``password``,
``secret``, ``token``...) or two words do (``api key``, ``access key``...).
"""

from __future__ import annotations

import re

PASSWORD, KEY = "password", "key"

_PASSWORD_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "passcode", "contraseña", "contrasena", "pass", "pw"}
)
_KEY_WORDS = frozenset(
    {
        "secret", "token", "apikey", "credential", "credentials", "creds", "bearer",
        "authorization", "authtoken", "accesstoken", "secretkey", "privatekey", "accesskey",
        "apitoken", "clientsecret", "refreshtoken",
    }
)
# "<word> key": the words that make a bare "key" a credential.
_KEY_OWNERS = frozenset(
    {
        "api", "access", "secret", "private", "auth", "client", "service", "account", "db",
        "database", "master", "signing", "encryption", "license", "licence", "subscription",
        "app", "consumer", "openai", "anthropic", "claude", "hf", "huggingface", "wandb",
        "kaggle", "groq", "cohere", "replicate", "google", "gemini", "mistral", "together",
        "pinecone", "serpapi", "serper", "tavily", "comet", "neptune", "azure", "aws", "gcp",
        "deepseek", "fireworks", "voyage", "elevenlabs", "langchain", "langsmith", "stripe",
    }
)
# Words that make a lone "pass"/"pw" mean something else ("first pass", "pw" = power...).
_PASS_NEEDS = frozenset(
    {"db", "user", "admin", "root", "database", "login", "smtp", "mail", "ftp", "ssh", "proxy"}
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[_\-.\s\[\]'\"]+")


def words(name: str) -> list[str]:
    """``dbPassword`` -> ``['db', 'password']``; ``OPENAI_API_KEY`` -> ``['openai', 'api', 'key']``."""
    out: list[str] = []
    for part in _SEPARATORS.split(name):
        out.extend(w.lower().rstrip("0123456789") or w for w in _CAMEL.split(part) if w)
    return out


def credential_class(name: str) -> str | None:
    """``"password"``, ``"key"`` (any other secret) or None when the name is not a credential's."""
    parts = words(name)
    for i, word in enumerate(parts):
        if word in {"pass", "pw"}:
            if i > 0 and parts[i - 1] in _PASS_NEEDS:
                return PASSWORD
            continue
        if word in _PASSWORD_WORDS:
            return PASSWORD
    for i, word in enumerate(parts):
        if word in _KEY_WORDS:
            return KEY
        if word == "key" and i > 0 and parts[i - 1] in _KEY_OWNERS:
            return KEY
    return None
