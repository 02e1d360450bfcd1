"""Settings (the environment), the accounts file and credential sources: validated once at start."""
