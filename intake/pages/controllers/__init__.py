"""The pages, one controller module per group of pages."""
