"""The OParl 1.1 export: the forum's record for council information systems, behind sign-in."""
