"""purgekit's lab: real servers, synthetic stores, the demo and `purgekit sample-stores`.

A distribution of its own (purgekit-lab), so that the purgekit wheel holds no test or lab code.
"""
