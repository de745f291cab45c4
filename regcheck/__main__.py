from regcheck.cli import main

raise SystemExit(main())
