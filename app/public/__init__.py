"""The public progress page: what the board publishes, for residents and MOPAC, with no sign-in."""
