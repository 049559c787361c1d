"""pytest fixtures for mock_s3 (filled in by the mock_s3 work)."""
