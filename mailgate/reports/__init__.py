"""Reports: KPIs in business time."""
