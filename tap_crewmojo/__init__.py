"""Singer tap for Crewmojo report downloads."""
