"""The pages people use in a browser, rendered on the server from the domain services."""
