"""Resident requests (群众诉求) and their workflow: see issue 4."""
