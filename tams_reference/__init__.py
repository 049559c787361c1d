"""tams_reference."""
