"""Modal screens of the dashboard: the key help and the skipped-lines report."""
