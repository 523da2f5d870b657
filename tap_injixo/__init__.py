"""Singer tap for the injixo legacy API (workforce-management data per planning unit)."""
