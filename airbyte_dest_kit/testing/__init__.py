"""What we ship for connector authors to test with: fakes, message builders, parsed connector output."""
