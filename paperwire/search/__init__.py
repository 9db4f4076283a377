"""Search: tokenizing, the keyword index, query parsing and the search function."""
