"""Spreadsheet returns: a lead agency's return workbook out and back in, and indicator values in bulk (issue 12)."""
