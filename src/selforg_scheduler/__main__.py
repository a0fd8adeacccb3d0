"""``python -m selforg_scheduler``: the command line, as ``selforg-scheduler``."""

from selforg_scheduler.cli import main

if __name__ == "__main__":
    main()
