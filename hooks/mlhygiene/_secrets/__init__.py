"""The credentials hook's parts: rule ids and messages, our detect-secrets plugins, the named
false-positive filters and the engine that runs them over a block of lines.

Only ``rules`` and ``names`` are free of detect-secrets; everything else imports it, so the hook
imports this package lazily, inside its check.
"""
