"""Backups of the whole database and the restore drill."""
