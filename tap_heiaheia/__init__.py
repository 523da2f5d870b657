"""Singer tap for the HeiaHeia Admin API."""
