"""Running the real program offline: the shared mock engine and the in-process runner."""
