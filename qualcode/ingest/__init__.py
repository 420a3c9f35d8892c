"""Reading source files into documents and segments."""
