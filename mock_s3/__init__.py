"""mock_s3."""
