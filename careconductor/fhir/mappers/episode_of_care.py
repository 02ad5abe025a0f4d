"""Mapper to be written."""
