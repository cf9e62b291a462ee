"""How Havering compares with other boroughs on an indicator: stated ranks and imported values."""
