"""The command-line layer: the only code that parses options, prints, or reads the terminal."""
