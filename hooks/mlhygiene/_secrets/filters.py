"""Named false-positive filters: small predicates that return True to *skip* a candidate.

Each filter applies to every rule (``None`` scope) or to the rules named in its scope; the
table ``FILTERS`` is the documented list, in the order they are tried. ``reason`` names the
first filter that skips a candidate.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

from detect_secrets.filters.heuristic import is_sequential_string
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)

from mlhygiene._secrets.names import PASSWORD, words
from mlhygiene._secrets.records import Candidate
from mlhygiene._secrets.rules import GENERIC

Filter = Callable[[Candidate], bool]

# --- placeholders --------------------------------------------------------------------------
_PUBLIC_PREFIX = re.compile(
    r"^(?:sk-ant-(?:api|admin)\d\d-|sk-(?:proj|svcacct|admin)-|sk-|hf_|api_org_|r8_|gsk_|AIza|"
    r"GOCSPX-|gh[pousr]_|github_pat_|gl[a-z]+-|xox[a-z]-|xapp-|A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|"
    r"SG\.|[rs]k_live_|pypi-|npm_|sq0csp-|local-)"
)
_PLACEHOLDER_WORD = re.compile(
    r"your|example|placeholder|dummy|sample|changeme|change[_-]me|replace|insert|redacted|"
    r"xxxx|\.\.\.|…|\*\*\*|<[^>]*>|goes[_-]?here|_here\b|fake|mock",
    re.I,
)
_SPELLED = re.compile(r"password|passwd|secret|hunter")  # hunter2: the internet's example password
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s", "7": "t"})
_PLACEHOLDER_EXACT = re.compile(
    r"none|null|nil|empty|test(?:ing|s)?|demo|string|str|true|false|undefined|n/?a|"
    r"not[-_ ]?(?:needed|used|required|set)|unused|no[-_ ]?key|nokey|secrets?|password|passwd|"
    r"pass|pwd|token|keys?|api[-_ ]?(?:key|token)|access[-_ ]?token|value|ollama|lm-studio|vllm|"
    r"sk-no-key-required|foo|bar|baz|foobar|[x*.\-_#]+",
    re.I,
)


# Words that documentation passwords are made of, around "password"/"secret" (MyPassword123!).
_FILLER = re.compile(
    r"password|passwd|secret|hunter|pass|pwd|word|my|your|our|super|strong|very|default|admin|root|"
    r"db|test|new|dev|prod|local|user|key|the|change|me|temp|welcome|qwerty|letmein|abc|"
    r"(?:19|20)\d\d|1234?5?6?|0000"
)


def _spelled_out(value: str) -> bool:
    """The value spells "password"/"secret" and little else (``MyPassword123!``, ``s3cret``,
    ``P@ssw0rd``, ``SuperSecretPassword2024``) — not a realistic password that happens to hold the
    word among enough other characters (``Secret#9fK2x8812!q``)."""
    leet = value.lower().translate(_LEET)
    if not _SPELLED.search("".join(ch for ch in leet if ch.isalpha())):
        return False
    keep = [True] * len(value)
    for match in _FILLER.finditer(leet):
        for i in range(*match.span()):
            keep[i] = False
    rest = "".join(ch for ch, k in zip(value, keep, strict=True) if k)
    classes = sum(
        any(test(ch) for ch in rest) for test in (str.islower, str.isupper, str.isdigit, _is_symbol)
    )
    return len(rest) < 6 or classes < 3


def _is_symbol(ch: str) -> bool:
    return not ch.isalnum()


def placeholder(c: Candidate) -> bool:
    """``YOUR_API_KEY``, ``sk-proj-xxxx…``, ``<token>``, ``EMPTY`` (vLLM), ``hf_aaaa…``, ``abcdef…``,
    a value that spells the word out (``MyPassword1``, ``s3cret``, ``P@ssw0rd``, ``hunter2``)."""
    value = c.secret
    if _PLACEHOLDER_EXACT.fullmatch(value) or _PLACEHOLDER_WORD.search(value):
        return True
    if _spelled_out(value):
        return True  # "MyPassword123!", "s3cret", "P@ssw0rd": documentation, not a secret
    if c.rule_id == "slack-webhook":  # the secret is the last path segment (24 characters)
        return len(value.rsplit("/", 1)[-1]) < MIN_KEY_LENGTH
    body = _PUBLIC_PREFIX.sub("", value)
    if len(body) >= 3 and len(set(body.lower())) <= 3:
        return True
    return len(body) >= 8 and is_sequential_string(body)


# --- not a literal -------------------------------------------------------------------------
_TEMPLATE = re.compile(
    r"\{[^{}]*\}|\$\{|\$\(|^\$[A-Za-z_]|%(?:\(\w+\))?[sdr]\b|\{\{|<%|#\{|\$env:|^!(?:ENV|vault)\b",
    re.I,
)


def interpolated(c: Candidate) -> bool:
    """A template, not a value: ``{password}``, ``${DB_PASS}``, ``$TOKEN``, ``%s``, ``{{ secrets.X }}``."""
    return bool(_TEMPLATE.search(c.secret))


_LOOKUP_VALUE = re.compile(
    r"\b(?:os\.environ|environ\.get|getenv|getpass|userdata\.get|get_secret|secrets\.get|"
    r"keyring|from_env|env_var)\b",
    re.I,
)
_LOOKUP_CALL = re.compile(
    r"(?:environ\.get|getenv|getpass(?:\.getpass)?|input|userdata\.get|get_secret|secrets\.get|"
    r"get_password|env_var|Secret\.from_env_var)\(\s*(?:\w+\s*=\s*)?[rRbBuUfF]{0,2}['\"]?$"
)


def env_lookup(c: Candidate) -> bool:
    """The literal is an environment or secret *lookup*: ``os.environ.get("X")``, ``getpass("…")``."""
    return bool(_LOOKUP_VALUE.search(c.secret) or _LOOKUP_CALL.search(c.line[: c.start]))


_MANAGER = re.compile(
    r"^(?:arn:[\w\-]+:|projects/[^/]+/secrets/|op://|vault:|secret://|sm://|"
    r"ssm:|awssm:|gcpsm:|azkv:|keyvault:|https://[\w.\-]+\.vault\.azure\.net/|ENC\[|AQICA)",
    re.I,
)


def secret_manager_reference(c: Candidate) -> bool:
    """A pointer into a secret manager (``projects/p/secrets/s``, ``op://…``) or any AWS ARN."""
    return bool(_MANAGER.match(c.secret))


# --- where it sits in the line -------------------------------------------------------------
def embedded_in_longer_token(c: Candidate) -> bool:
    """The match is a slice of a longer word (a hex dump, base64 blob, DNA read, identifier)."""
    line, start, end, secret = c.line, c.start, c.end, c.secret
    if start > 0 and line[start - 1].isalnum() and secret[:1].isalnum():
        escaped = start >= 2 and line[start - 2] == "\\"  # "\nhf_…" in an escaped string
        if not escaped:
            return True
    return end < len(line) and line[end].isalnum() and secret[-1:].isalnum()


_B64 = frozenset(string.ascii_letters + string.digits + "+/=")
_DATA_URI = re.compile(r"data:[\w/+.\-]*;base64,[A-Za-z0-9+/=]*$")
_LONG_RUN = 100


def base64_payload(c: Candidate) -> bool:
    """Inside a ``data:…;base64,`` URI or a long run of base64 (an embedded image or file)."""
    if _DATA_URI.search(c.line, 0, c.start):
        return True
    left = c.start
    while left > 0 and c.line[left - 1] in _B64:
        left -= 1
    right = c.end
    while right < len(c.line) and c.line[right] in _B64:
        right += 1
    run = right - left
    return run >= _LONG_RUN and run > len(c.secret) + 20


_NUCLEOTIDES = frozenset("ACGTUN")
_AMINO_ACIDS = frozenset("ACDEFGHIKLMNPQRSTVWY")


def biological_sequence(c: Candidate) -> bool:
    """A DNA/RNA or protein sequence: ``ACCA…`` and ``AKIA…`` look like AWS key ids to a regex
    (a real key id's 16 characters avoid digits and B, J, O, U, X, Z with odds of 1 in 2,000)."""
    value = c.secret
    if len(value) < 12:
        return False
    if set(value.upper()) <= _NUCLEOTIDES:
        return True
    return value.isalpha() and value.isupper() and set(value) <= _AMINO_ACIDS


_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_HASH_WORDS = re.compile(
    r"sha\d*|md5|hash|digest|checksum|\bcommit|revision|\brev\b|etag|fingerprint|crc|integrity|"
    r"blake|\bgit\b",
    re.I,
)
_SUM_LINE = re.compile(r"^\s*[0-9a-fA-F]{32,128}\s+\*?\S+\s*$")


def checksum(c: Candidate) -> bool:
    """A hex digest named as one: a sha256 of a model file, a git commit id, an md5, an etag."""
    if not _HEX.fullmatch(c.secret) or len(c.secret) not in _DIGEST_LENGTHS:
        return False
    return bool(_HASH_WORDS.search(c.name) or _HASH_WORDS.search(c.line) or _SUM_LINE.match(c.line))


# --- generic (credential-named) values -----------------------------------------------------
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_EXPLICIT_SECRET_WORDS = frozenset({"key", "apikey", "password", "passwd", "pwd", "secret", "secretkey"})
_RUN = re.compile(r"\brun", re.I)


def uuid_or_run_id(c: Candidate) -> bool:
    """A UUID or run id given to a token-ish name (``session_token``), not to an api key/password."""
    if _UUID.fullmatch(c.secret):
        return not set(words(c.name)) & _EXPLICIT_SECRET_WORDS
    if _HEX.fullmatch(c.secret) and len(c.secret) == 32:
        return "run" in words(c.name) or bool(_RUN.search(c.line[: c.start]))
    return False


_REFERENCE_WORDS = frozenset(
    {
        "name", "names", "id", "ids", "type", "types", "kind", "path", "paths", "file", "files",
        "filename", "dir", "folder", "url", "uri", "endpoint", "host", "env", "var", "variable",
        "field", "fields", "prompt", "label", "header", "scope", "arn", "len", "length", "count",
        "num", "size", "limit", "max", "min", "idx", "index", "mode", "format", "fmt", "pattern",
        "regex", "template", "prefix", "suffix", "column", "col", "policy", "manager", "store",
        "client", "provider", "source", "backend", "service", "location", "version", "required",
        "enabled", "hash", "hashed", "salt", "sha", "md5", "digest", "ttl", "expiry", "expires",
        "timeout", "usage", "budget", "counter", "param", "arg", "ref", "reference", "link",
        "description", "desc", "help", "title", "text", "message", "msg", "error", "hint",
        "placeholder", "example", "doc", "rule", "display", "method", "algorithm", "algo",
        "strategy", "dim", "embedding", "vocab", "rate", "position", "pos", "level", "used",
        "updated", "changed", "created", "last", "date", "time", "at", "age", "keyword",
        "keywords", "re", "regexp", "rules", "strength", "reset", "role", "roles",
    }
)


def reference_name(c: Candidate) -> bool:
    """The name says the value is *about* a secret, not one: ``secret_name``, ``api_key_env``,
    ``token_type``, ``password_prompt``, ``hf_token_path``."""
    parts = words(c.name)
    return bool(parts) and parts[-1] in _REFERENCE_WORDS


_SPECIAL_TOKEN_OWNERS = frozenset(
    {
        "pad", "eos", "bos", "unk", "sep", "cls", "mask", "start", "end", "begin", "stop", "bot",
        "eot", "image", "img", "audio", "video", "sot", "eod", "special", "additional", "boi",
        "eoi", "fim", "think", "decoder", "prefix", "suffix", "middle", "sentinel", "split",
    }
)
_SPECIAL_TOKEN_VALUE = re.compile(r"\[[A-Za-z_]+\]|<\|?[\w\-|]+\|?>|</?s>|▁|Ġ|<0x[0-9A-F]{2}>")


def tokenizer_token(c: Candidate) -> bool:
    """A tokenizer's special token: ``pad_token="[PAD]"``, ``eos_token="<|endoftext|>"``."""
    parts = words(c.name)
    for i, word in enumerate(parts):
        if word in {"token", "tokens"} and i > 0 and parts[i - 1] in _SPECIAL_TOKEN_OWNERS:
            return True
    return bool(_SPECIAL_TOKEN_VALUE.search(c.secret))


_SEED_WORDS = frozenset({"seed", "seeds", "rng", "random", "randomstate", "nonce"})


def random_seed(c: Candidate) -> bool:
    """A seed, not a secret: ``secret_seed = "1234"``, a digits-only value for a token/key name."""
    if set(words(c.name)) & _SEED_WORDS:
        return True
    return c.secret.isdigit() and c.name_class != PASSWORD


_COLOUR_WORDS = frozenset(
    {"color", "colour", "colors", "colours", "palette", "cmap", "colormap", "hue", "rgb"}
)
_COLOURS = re.compile(r"(?:#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?[,;\s]*){2,}")


def colour_palette(c: Candidate) -> bool:
    """A colour palette: ``token_colors = "#1f77b4,#ff7f0e"`` (token highlighting in NLP plots)."""
    return bool(set(words(c.name)) & _COLOUR_WORDS or _COLOURS.fullmatch(c.secret))


_PATHLIKE = re.compile(r"^(?:~|\.{1,2})?(?:/[\w.\-]+)+/?$|^[A-Za-z]:\\")
_EXTENSION = re.compile(
    r"\.(?:json|txt|pem|key|crt|cer|p12|pfx|ya?ml|env|cfg|ini|toml|csv|pkl|pt|pth|bin|h5|onnx|npy|"
    r"npz|gz|zip|log|py|ipynb|md|secrets?)$",
    re.I,
)
_WORD_SEGMENT = re.compile(r"/[a-z_\-]{3,}(?=/|$)")
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.I)


def file_path_or_url(c: Candidate) -> bool:
    """Where the secret *lives*, not the secret: ``/content/drive/kaggle.json``, ``key.pem``, a URL."""
    value = c.secret
    if _URL.match(value) or _EXTENSION.search(value):
        return True
    return bool(_PATHLIKE.match(value) and (_WORD_SEGMENT.search(value) or value.startswith(("~", "."))))


def prose(c: Candidate) -> bool:
    """Words with spaces: a prompt or a sentence (``password = "Enter your password"``)."""
    return any(ch.isspace() for ch in c.secret)


_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def env_var_name(c: Candidate) -> bool:
    """The *name* of an environment variable: ``api_key_var = "OPENAI_API_KEY"``, ``token="HF_TOKEN"``."""
    return bool(_ENV_NAME.fullmatch(c.secret))


_WORDS_ONLY = re.compile(r"[A-Za-z]+(?:[_\-.:/][A-Za-z]+)*")
# not_supported, challengePassword: identifiers, not passwords
_COMPOUND = re.compile(r"[A-Za-z]+(?:[_\-.][A-Za-z]+)+|[a-z]+(?:[A-Z][a-z]+)+")


@lru_cache(maxsize=1)
def _entropy() -> tuple[Base64HighEntropyString, HexHighEntropyString]:
    return Base64HighEntropyString(), HexHighEntropyString()


def entropy(value: str) -> float:
    """detect-secrets' Shannon entropy, over the hex alphabet for hex strings."""
    b64, hex_ = _entropy()
    plugin = hex_ if _HEX.fullmatch(value) else b64
    return float(plugin.calculate_shannon_entropy(value))


MIN_KEY_LENGTH = 12
MIN_HEX_KEY_LENGTH = 24
MIN_PASSWORD_LENGTH = 4
MIN_ENTROPY = 3.0
MIN_HEX_ENTROPY = 2.8


def not_credential_shaped(c: Candidate) -> bool:
    """Too short, too regular or too word-like to be a key (a password only needs 4 characters
    and not to be an identifier like ``not_supported``); an AWS secret half must mix upper
    case, lower case and digits."""
    value = c.secret
    if c.rule_id == "aws-secret-key":
        return not (
            any(ch.isupper() for ch in value) and any(ch.islower() for ch in value)
            and any(ch.isdigit() for ch in value)
        )
    if c.name_class == PASSWORD:
        return len(value) < MIN_PASSWORD_LENGTH or bool(_COMPOUND.fullmatch(value))
    if len(value) < MIN_KEY_LENGTH or _WORDS_ONLY.fullmatch(value):
        return True
    if _HEX.fullmatch(value) and len(value) < MIN_HEX_KEY_LENGTH:
        return True  # a 16-hex id or short hash: hex keys are 32, 40 or 64 long
    limit = MIN_HEX_ENTROPY if _HEX.fullmatch(value) else MIN_ENTROPY
    return entropy(value) < limit


_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")


def no_key_body(c: Candidate) -> bool:
    """A private-key *header* with no key after it: code that parses or documents PEM files."""
    body = c.secret.split("\n", 1)[1] if "\n" in c.secret else c.secret[c.secret.find("KEY") + 3 :]
    return not _KEY_BODY.search(body.replace("\\n", "").replace("\n", ""))


_CODE = re.compile(
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]]*\])+"  # an attribute path, JMESPath
    r"|.*(?:\(\?[:=!<P]|\[(?:a-z|A-Z|0-9|\^)|\\[dswbDSW./\-]|[+*]\$).*"  # regex syntax
)


def code_reference(c: Candidate) -> bool:
    """Code, not a value: an attribute path or JMESPath (``StreamDescription.Shards[-1].ShardId``)
    or a regular expression (``(?:secret[-_]?key)``, ``…[a-zA-Z0-9/_+=.@-]+$``)."""
    return bool(_CODE.fullmatch(c.secret))


_DATE_OR_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?|v?\d+(?:\.\d+)+(?:[-.+]\w+)?")


def date_or_version(c: Candidate) -> bool:
    """A timestamp or a version: ``"PasswordLastUsed": "2016-09-24T16:18:07Z"``, ``"1.2.3"``."""
    return bool(_DATE_OR_VERSION.fullmatch(c.secret))


_NOT_SECRET_TOKENS = frozenset(
    {
        "next", "continuation", "page", "pagination", "paging", "cursor", "sync", "resume",
        "marker", "output", "input", "idempotency", "verification", "csrf", "xsrf", "request",
    }
)


def non_secret_token(c: Candidate) -> bool:
    """A token that is no credential: paging (``NextContinuationToken``), idempotency, CSRF."""
    parts = words(c.name)
    return any(
        word in {"token", "tokens"} and i > 0 and parts[i - 1] in _NOT_SECRET_TOKENS
        for i, word in enumerate(parts)
    )


_GENERIC = frozenset({GENERIC})
_SHAPED = frozenset({GENERIC, "aws-secret-key"})
_NOT_BLOCKS = frozenset(
    {
        "openai-api-key", "anthropic-api-key", "huggingface-token", "kaggle-api-key", "wandb-api-key",
        "replicate-api-token", "groq-api-key", "cohere-api-key", "google-api-key",
        "google-oauth-client-secret", "github-token", "gitlab-token", "aws-access-key",
        "aws-secret-key", "azure-storage-key", "slack-token", "slack-webhook", "discord-bot-token",
        "telegram-bot-token", "stripe-api-key", "sendgrid-api-key", "mailchimp-api-key",
        "twilio-api-key", "square-oauth-secret", "pypi-token", "npm-token", "json-web-token",
        "password-in-url", GENERIC,
    }
)

# (name, predicate, rules it applies to or None for all): the documented list, in order.
FILTERS: tuple[tuple[str, Filter, frozenset[str] | None], ...] = (
    ("placeholder", placeholder, _NOT_BLOCKS),
    ("interpolated", interpolated, None),
    ("embedded_in_longer_token", embedded_in_longer_token, _NOT_BLOCKS),
    ("base64_payload", base64_payload, None),
    ("biological_sequence", biological_sequence, None),
    ("checksum", checksum, None),
    ("env_lookup", env_lookup, _GENERIC),
    ("secret_manager_reference", secret_manager_reference, _GENERIC),
    ("reference_name", reference_name, _GENERIC),
    ("tokenizer_token", tokenizer_token, _GENERIC),
    ("non_secret_token", non_secret_token, _GENERIC),
    ("code_reference", code_reference, _GENERIC),
    ("date_or_version", date_or_version, _GENERIC),
    ("random_seed", random_seed, _GENERIC),
    ("colour_palette", colour_palette, _GENERIC),
    ("uuid_or_run_id", uuid_or_run_id, _GENERIC),
    ("file_path_or_url", file_path_or_url, _GENERIC),
    ("prose", prose, _GENERIC),
    ("env_var_name", env_var_name, _GENERIC),
    ("not_credential_shaped", not_credential_shaped, _SHAPED),
    ("no_key_body", no_key_body, frozenset({"private-key"})),
)


def reason(c: Candidate) -> str | None:
    """The name of the first filter that skips ``c``, or None when it is reported."""
    for name, predicate, scope in FILTERS:
        if (scope is None or c.rule_id in scope) and predicate(c):
            return name
    return None
