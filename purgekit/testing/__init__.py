"""Real database servers for purgekit's tests, demo and benchmarks."""
