"""Mail in (parsing, classification) and out (letters)."""
