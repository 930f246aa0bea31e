"""Template tags of the order pages and the staff admin."""
