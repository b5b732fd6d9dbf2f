"""Start page, accessibility statement with barrier reports, health check."""
