"""Turning estimates into tables, CSV, JSON and pictures. No arithmetic happens here."""
