"""Google Sheets support: credentials (auth.py) and the HTTP client (client.py)."""
