from dockerlab.cli import main

raise SystemExit(main())
