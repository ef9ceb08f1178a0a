"""Suite definitions as YAML; a package so the files ship with the wheel."""
