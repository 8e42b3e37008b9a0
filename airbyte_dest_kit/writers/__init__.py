"""Writers for real targets. Each module imports its own heavy dependencies; import the one you use."""
