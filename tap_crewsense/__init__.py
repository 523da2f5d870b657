"""tap-crewsense: a Singer tap for the Crewsense (Vector Scheduling) API v1."""
