"""Browser forms; they collect input, and services validate and write it."""
