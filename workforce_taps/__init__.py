"""What the four taps share beyond the Singer SDK: the little the SDK lacks for these APIs.

Kept deliberately small — a tap's vendor-specific behaviour lives in its own package, and no
tap imports another tap.
"""
