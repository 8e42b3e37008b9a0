"""What we ship for connector authors to test with: fakes, builders, scenarios."""
