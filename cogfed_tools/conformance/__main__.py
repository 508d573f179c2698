import sys

from cogfed_tools.conformance.run import main

sys.exit(main())
