"""The contact directory: organisations' people, need-to-know visibility, vCard, CSV, DSGVO."""
