"""The typosquat check's internals: bundled names, dependency-file readers, import readers,
local modules. The hook itself is ``mlhygiene.typosquat``."""
