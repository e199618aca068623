"""The end-to-end harness: our own Docker engine, locally built stand-in images, the Internet-ID app."""
