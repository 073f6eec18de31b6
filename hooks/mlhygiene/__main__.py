from mlhygiene.cli import main

raise SystemExit(main())
