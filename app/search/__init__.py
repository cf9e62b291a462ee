"""One search box over the plan, the updates' commentary and mitigation, and the indicators."""
