"""The minutes archive (Protokolle): documents, their workflow, versions and read confirmations."""
