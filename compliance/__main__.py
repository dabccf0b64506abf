"""`python -m compliance <command>`; see `compliance.cli`."""

import gc

from compliance.cli import main

code = main()
# The Pulumi SDKs leave a very large heap; collecting it at interpreter exit takes about a second
# and frees nothing this short-lived process needs. Frozen objects are left out of that collection.
gc.freeze()
raise SystemExit(code)
