import sys

from cogfed_pool.cli import main

sys.exit(main())
