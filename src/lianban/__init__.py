"""lianban (联办): one application, many departments, one delivery."""
