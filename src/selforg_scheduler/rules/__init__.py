"""Rule modules: one file per rule family, discovered and registered by ``rules.config``."""
