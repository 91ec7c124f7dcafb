"""`python -m netspec` runs the command line."""

from netspec.cli.main import main

raise SystemExit(main())
