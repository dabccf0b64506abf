"""`python -m compliance <command>`; see `compliance.cli`."""

from compliance.cli import main

raise SystemExit(main())
