"""Order domain: aggregates, events, commands, errors. Pure Python by contract."""
