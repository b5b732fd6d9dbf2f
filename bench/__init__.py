"""Load benchmark of the main pages: `make bench`."""
