"""``python -m registry`` runs the partner-registry command (used to start child processes)."""

from registry.cli import main

if __name__ == "__main__":
    main()
