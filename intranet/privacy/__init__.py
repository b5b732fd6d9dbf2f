"""DSGVO duties shared by every area: access export, erasure with pseudonyms, record of processing."""
