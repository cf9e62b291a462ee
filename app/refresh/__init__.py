"""The annual refresh of the action plan, editing the refreshed year's plan, and the year-end summary."""
