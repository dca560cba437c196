"""Persistence: engine, tables, and one repository per table family."""
