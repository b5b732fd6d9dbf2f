"""One search over what the account may see: meetings and contacts."""
