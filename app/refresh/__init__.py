"""The annual refresh of the action plan (service.py) and editing the refreshed year's plan (editing.py).

The year-end summary is the reports' (app.reports.year_end)."""
