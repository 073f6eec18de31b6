"""Our detect-secrets plugins for the services ML code talks to, and the table of detectors
(ours and detect-secrets' own) that the engine runs, each mapped to one of our rule ids.

Every plugin is a plain detect-secrets ``RegexBasedDetector``: a ``secret_type`` and a list of
compiled regexes (a capturing group, when there is one, is the secret). The regexes carry no
word boundaries: the ``embedded_in_longer_token`` filter decides that in one place, so an
escaped ``\\n`` before a key does not hide it.
"""

# ruff: noqa: S105  (``secret_type`` is detect-secrets' name for a plugin's label, not a password)
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

AWS_KEY_ID = re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}")
_SEP = r"[ \t'\"\]=:,(]{1,8}"  # between an env/config name and its value: `=`, `": "`, `"] = "`
_Q = r"\\?['\"]"  # a quote, maybe JSON-escaped inside a string
_WANDB_KEY = r"((?:local-)?[0-9a-f]{40})(?![0-9A-Za-z])"


class OpenAIKeyDetector(RegexBasedDetector):
    """OpenAI project, service-account and admin keys, and the bare ``sk-`` + 32-64 characters
    of OpenAI-compatible providers (the ``…T3BlbkFJ…`` shape is detect-secrets' ``OpenAIDetector``,
    which runs too)."""

    secret_type = "OpenAI API Key"
    denylist = (
        re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
        # the bare shape: very old OpenAI keys, and OpenAI-compatible providers (DeepSeek...)
        re.compile(r"sk-[A-Za-z0-9]{32,64}(?![A-Za-z0-9_\-])"),
    )


class AnthropicKeyDetector(RegexBasedDetector):
    secret_type = "Anthropic API Key"
    denylist = (re.compile(r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{32,}"),)


class HuggingFaceTokenDetector(RegexBasedDetector):
    """User access tokens (``hf_…``) and organization API tokens (``api_org_…``)."""

    secret_type = "Hugging Face Token"
    denylist = (re.compile(r"(?:hf|api_org)_[A-Za-z0-9]{34}(?![A-Za-z0-9])"),)


class KaggleKeyDetector(RegexBasedDetector):
    """``KAGGLE_KEY=…`` and a one-line ``kaggle.json`` (either key order, quotes maybe escaped)."""

    secret_type = "Kaggle API Key"
    denylist = (
        re.compile(r"KAGGLE_KEY" + _SEP + r"([0-9a-f]{32})(?![0-9A-Za-z])"),
        re.compile(
            _Q + r"username" + _Q + r"[ \t]*:[ \t]*" + _Q + r"[^'\"\\\n]*" + _Q + r"[ \t]*,[ \t]*"
            + _Q + r"key" + _Q + r"[ \t]*:[ \t]*" + _Q + r"([0-9a-f]{32})" + _Q
        ),
        re.compile(
            _Q + r"key" + _Q + r"[ \t]*:[ \t]*" + _Q + r"([0-9a-f]{32})" + _Q
            + r"[ \t]*,[ \t]*" + _Q + r"username"
        ),
    )


class KaggleJsonKeyDetector(RegexBasedDetector):
    """A pretty-printed ``kaggle.json``: ``"key": "<32 hex>"`` with ``"username"`` nearby."""

    secret_type = "Kaggle API Key"
    denylist = (re.compile(r"['\"]key['\"][ \t]*:[ \t]*['\"]([0-9a-f]{32})['\"]"),)
    nearby = re.compile(r"['\"]username['\"]")


class WandbKeyDetector(RegexBasedDetector):
    """40-hex W&B keys in ``wandb.login(key=…)``, ``WANDB_API_KEY``, ``wandb login …``, netrc."""

    secret_type = "Weights & Biases API Key"
    denylist = (
        re.compile(r"WANDB_API_KEY" + _SEP + _WANDB_KEY),
        re.compile(r"wandb\.login\([^)\n]*?key[ \t]*=[ \t]*[rRbBuU]?['\"]" + _WANDB_KEY),
        re.compile(r"wandb[ \t]+login[ \t]+(?:--?[\w-]+(?:[= ]\S+)?[ \t]+)*" + _WANDB_KEY),
        re.compile(r"machine[ \t]+api\.wandb\.ai[ \t]+login[ \t]+\S+[ \t]+password[ \t]+" + _WANDB_KEY),
    )


class WandbNetrcDetector(RegexBasedDetector):
    """A multi-line ``~/.netrc`` entry for ``api.wandb.ai``."""

    secret_type = "Weights & Biases API Key"
    denylist = (re.compile(r"(?m)^[ \t]*password[ \t]+([0-9a-f]{40})[ \t]*$"),)
    nearby = re.compile(r"machine[ \t]+api\.wandb\.ai")


class ReplicateTokenDetector(RegexBasedDetector):
    secret_type = "Replicate API Token"
    denylist = (re.compile(r"r8_[A-Za-z0-9]{37}(?![A-Za-z0-9])"),)


class GroqKeyDetector(RegexBasedDetector):
    secret_type = "Groq API Key"
    denylist = (re.compile(r"gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9])"),)


class CohereKeyDetector(RegexBasedDetector):
    """Cohere keys have no prefix: only in ``cohere.Client(…)`` or ``CO_API_KEY``/``COHERE_API_KEY``."""

    secret_type = "Cohere API Key"
    denylist = (
        re.compile(
            r"(?:cohere\.(?:Async)?Client(?:V2)?\([ \t]*(?:api_key[ \t]*=[ \t]*)?[rRbBuU]?['\"]"
            r"|CO(?:HERE)?_API_KEY" + _SEP + r")([A-Za-z0-9]{40})(?![A-Za-z0-9])"
        ),
    )


class GoogleKeyDetector(RegexBasedDetector):
    """Google API keys (Gemini, Maps, ...) and OAuth client secrets."""

    secret_type = "Google API Key"
    denylist = (
        re.compile(r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"),
        re.compile(r"GOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])"),
    )


class GitHubFineGrainedTokenDetector(RegexBasedDetector):
    secret_type = "GitHub Token"
    denylist = (re.compile(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9])"),)


class AwsSecretKeyDetector(RegexBasedDetector):
    """The secret half of an AWS key pair, named (quotes optional: ``~/.aws/credentials``)."""

    secret_type = "AWS Access Key"
    denylist = (
        re.compile(
            r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)" + _SEP
            + r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
    )


class AwsSecretPairDetector(RegexBasedDetector):
    """A quoted 40-character string a few lines from an AWS access key id: its secret half."""

    secret_type = "AWS Access Key"
    denylist = (re.compile(r"['\"]([A-Za-z0-9/+]{40})['\"]"),)
    nearby = AWS_KEY_ID


class SlackAppTokenDetector(RegexBasedDetector):
    """App-level tokens and workflow webhooks (the classic ones are detect-secrets' own)."""

    secret_type = "Slack Token"
    denylist = (
        re.compile(r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+", re.I),
        re.compile(r"https://hooks\.slack\.com/(?:workflows|triggers)/[A-Za-z0-9_/]{20,}"),
    )


class SlackLegacyDetector(RegexBasedDetector):
    """Webhooks on plain http:// and legacy token shapes detect-secrets' Slack regex misses."""

    secret_type = "Slack Token"
    denylist = (
        re.compile(r"http://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{12,}"),
        re.compile(r"xox[abposr]-[0-9]{6,}-[0-9A-Za-z-]{8,}"),
        re.compile(r"xoxe(?:\.xox[bp])?-1-[A-Za-z0-9-]{30,}"),
    )


class MapboxTokenDetector(RegexBasedDetector):
    """Mapbox secret (``sk.``) and temporary (``tk.``) tokens; ``pk.`` tokens are public."""

    secret_type = "Mapbox Token"
    denylist = (re.compile(r"\b[st]k\.eyJ[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,}"),)


class PasswordInUrlDetector(RegexBasedDetector):
    """``scheme://user:password@host``, the password allowed every character a URL's userinfo
    can carry (``+ * & ! $ ~ ; = ,``), unlike detect-secrets' BasicAuth regex."""

    secret_type = "Basic Auth Credentials"
    denylist = (
        re.compile(
            r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@'\"`<>{}\[\]]+:([^\s/?#@'\"`<>{}\[\]]+)@"
            r"(?=[A-Za-z0-9\[])"
        ),
    )


class EncryptedPrivateKeyDetector(RegexBasedDetector):
    secret_type = "Private Key"
    denylist = (re.compile(r"BEGIN ENCRYPTED PRIVATE KEY"),)


class Detector(NamedTuple):
    """One plugin as the engine runs it."""

    plugin: Any  # a detect-secrets plugin instance
    rule: Callable[[str], str]  # rule id for a matched secret
    priority: int = 0  # lower wins when two matches overlap
    nearby: re.Pattern[str] | None = None  # must occur within NEARBY lines
    lead: str = ""  # literal text a match starts with that is not part of the secret
    extend: re.Pattern[str] | None = None  # characters a lazy match really goes on with
    whole: bool = False  # the secret is the whole match (its groups are only alternatives)
    # Lower-case literals one of which every match contains: a block without any of them is
    # skipped with a fast ``in`` test (empty: always run).
    gate: tuple[str, ...] = ()

    def may_match(self, lowered: str) -> bool:
        return not self.gate or any(literal in lowered for literal in self.gate)

    def spans(self, line: str) -> Iterator[tuple[int, int]]:
        """0-based (start, end) of each secret in ``line``."""
        for start, end in self._spans(line):
            if self.extend is not None:
                tail = self.extend.match(line, end)
                end = tail.end() if tail else end
            yield start, end

    def _spans(self, line: str) -> Iterator[tuple[int, int]]:
        plugin = self.plugin
        if type(plugin).analyze_string is RegexBasedDetector.analyze_string:
            for regex in plugin.denylist:
                for match in regex.finditer(line):
                    groups = 0 if self.whole else regex.groups
                    group = next((g for g in range(1, groups + 1) if match.group(g)), 0)
                    start, end = match.span(group)
                    if self.lead and line.startswith(self.lead, start):
                        start += len(self.lead)
                    yield start, end
            return
        cursor = 0
        for value in plugin.analyze_string(line):
            start = line.find(value, cursor)
            if start == -1:
                start = line.find(value)
            if start != -1:
                cursor = start + len(value)
                yield start, start + len(value)


NEARBY = 3
Rule = Callable[[str], str]
Gate = tuple[str, ...]
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")  # detect-secrets' JWT regex stops lazily


def _fixed(rule_id: str) -> Callable[[str], str]:
    return lambda _secret: rule_id


def _aws(secret: str) -> str:
    return "aws-access-key" if AWS_KEY_ID.fullmatch(secret) else "aws-secret-key"


def _google(secret: str) -> str:
    return "google-oauth-client-secret" if secret.startswith("GOCSPX-") else "google-api-key"


def _slack(secret: str) -> str:
    return "slack-webhook" if secret.lower().startswith(("https://", "http://")) else "slack-token"


_AWS_IDS = ("akia", "asia", "abia", "acca", "a3t")
_GITHUB = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")
_GITLAB = (
    "glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-", "glptt-",
    "glagent-", "gloas-",
)


def build_detectors() -> tuple[Detector, ...]:
    """Every typed detector, ours and detect-secrets' built-ins (verification never runs:
    the engine calls only the regex side of a plugin)."""

    def ours(cls: type[RegexBasedDetector], rule: str, gate: Gate, priority: int = 0) -> Detector:
        return Detector(cls(), _fixed(rule), priority, getattr(cls, "nearby", None), gate=gate)

    def builtin(plugin: Any, rule: Rule, gate: Gate, priority: int = 0, **extra: Any) -> Detector:
        return Detector(plugin, rule, priority, gate=gate, **extra)

    return (
        ours(OpenAIKeyDetector, "openai-api-key", ("sk-",)),
        ours(AnthropicKeyDetector, "anthropic-api-key", ("sk-ant-",)),
        ours(HuggingFaceTokenDetector, "huggingface-token", ("hf_", "api_org_")),
        ours(KaggleKeyDetector, "kaggle-api-key", ("kaggle_key", "username"), 1),
        ours(KaggleJsonKeyDetector, "kaggle-api-key", ("username",), 1),
        ours(WandbKeyDetector, "wandb-api-key", ("wandb",), 1),
        ours(WandbNetrcDetector, "wandb-api-key", ("api.wandb.ai",), 1),
        ours(ReplicateTokenDetector, "replicate-api-token", ("r8_",)),
        ours(GroqKeyDetector, "groq-api-key", ("gsk_",)),
        ours(CohereKeyDetector, "cohere-api-key", ("cohere", "co_api_key"), 1),
        builtin(GoogleKeyDetector(), _google, ("aiza", "gocspx-")),
        ours(GitHubFineGrainedTokenDetector, "github-token", ("github_pat_",)),
        ours(AwsSecretKeyDetector, "aws-secret-key", ("secret",), 1),
        ours(AwsSecretPairDetector, "aws-secret-key", _AWS_IDS, 2),
        builtin(SlackAppTokenDetector(), _slack, ("xapp-", "hooks.slack.com")),
        builtin(SlackLegacyDetector(), _slack, ("xox", "hooks.slack.com"), 1),
        ours(MapboxTokenDetector, "mapbox-token", ("sk.eyj", "tk.eyj")),
        ours(EncryptedPrivateKeyDetector, "private-key", ("encrypted private key",)),
        # detect-secrets' own
        builtin(AWSKeyDetector(), _aws, (*_AWS_IDS, "aws"), 1),
        builtin(
            AzureStorageKeyDetector(), _fixed("azure-storage-key"), ("accountkey=",), lead="AccountKey="
        ),
        ours(PasswordInUrlDetector, "password-in-url", ("://",), 2),
        builtin(DiscordBotTokenDetector(), _fixed("discord-bot-token"), (), 1),
        builtin(GitHubTokenDetector(), _fixed("github-token"), _GITHUB, whole=True),
        builtin(GitLabTokenDetector(), _fixed("gitlab-token"), _GITLAB, whole=True),
        builtin(JwtTokenDetector(), _fixed("json-web-token"), ("eyj",), 2, extend=_JWT_TAIL),
        builtin(MailchimpDetector(), _fixed("mailchimp-api-key"), ("-us",), 1),
        builtin(NpmDetector(), _fixed("npm-token"), ("_authtoken",)),
        builtin(OpenAIDetector(), _fixed("openai-api-key"), ("t3blbkfj",)),
        builtin(PrivateKeyDetector(), _fixed("private-key"), ("private key", "putty-user-key")),
        builtin(PypiTokenDetector(), _fixed("pypi-token"), ("pypi-",)),
        builtin(SendGridDetector(), _fixed("sendgrid-api-key"), ("sg.",)),
        builtin(SlackDetector(), _slack, ("xox", "hooks.slack.com")),
        builtin(SquareOAuthDetector(), _fixed("square-oauth-secret"), ("sq0csp-",)),
        builtin(StripeDetector(), _fixed("stripe-api-key"), ("_live_",)),
        builtin(TelegramBotTokenDetector(), _fixed("telegram-bot-token"), (), 1),
        builtin(TwilioKeyDetector(), _fixed("twilio-api-key"), (), 1),
    )
